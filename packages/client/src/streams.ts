import type { KvndbError } from '@kvndb/shared';

/**
 * A stream on one connection, named by the id of the request that opened it (a watch, a
 * blocking read; a subscription is one too). The router answers that request with RESULT
 * or ERROR as usual, may then push [EVENT, id, payload], and ends the stream with
 * [ERROR, id, ...].
 */
export interface StreamHandler {
  /** The RESULT of the opening request. */
  result(value: unknown): void;
  /** [ERROR, id, ...]: the opening request failed, or the stream ended. */
  error(err: KvndbError): void;
  /** [EVENT, id, payload]. */
  event?(payload: unknown): void;
  /** The connection went away, and the stream with it (it may be opened again on the next one). */
  lost(cause: KvndbError): void;
}

/**
 * The client's open streams, by request id: routes the router's answers and pushes to them,
 * and tells them all when the connection is lost. Request answers that the command queue
 * does not know (and pushes) are looked up here; messages for a stream already closed on
 * this side (events still in flight after an UNWATCH) are dropped.
 */
export class ClientStreams {
  private readonly open = new Map<number, StreamHandler>();

  get size(): number {
    return this.open.size;
  }

  has(id: number): boolean {
    return this.open.has(id);
  }

  add(id: number, handler: StreamHandler): void {
    this.open.set(id, handler);
  }

  delete(id: number): void {
    this.open.delete(id);
  }

  result(id: unknown, value: unknown): void {
    if (typeof id === 'number') this.open.get(id)?.result(value);
  }

  /** A stream's error ends it. */
  error(id: unknown, err: KvndbError): void {
    if (typeof id !== 'number') return;
    const h = this.open.get(id);
    if (h === undefined) return;
    this.open.delete(id);
    h.error(err);
  }

  event(id: unknown, payload: unknown): void {
    if (typeof id === 'number') this.open.get(id)?.event?.(payload);
  }

  /** The connection is gone: every stream on it is. */
  connectionLost(cause: KvndbError): void {
    const all = [...this.open.values()];
    this.open.clear();
    for (const h of all) h.lost(cause);
  }
}
