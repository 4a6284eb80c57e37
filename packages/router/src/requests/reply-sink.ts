import type { KvndbError } from '@kvndb/shared';

/**
 * Where the answer to one request goes. A client session is itself the sink for all its
 * requests and `tag` is the client's request id, so routing a request allocates no
 * per-request callback.
 */
export interface ReplySink {
  reply(tag: number, err: KvndbError | null, value?: unknown): void;
}

/** Adapts a plain callback (Router.dispatch) to a ReplySink. */
export class CallbackSink implements ReplySink {
  constructor(private readonly done: (err: KvndbError | null, value?: unknown) => void) {}

  reply(_tag: number, err: KvndbError | null, value?: unknown): void {
    this.done(err, value);
  }
}

/**
 * A connection that carries streams besides answers (a native client session): a request
 * may open a stream, whose events are pushed as [EVENT, streamId, ...payload] until it ends
 * or the connection closes. Subscriptions and watches build on it.
 */
export interface StreamSink extends ReplySink {
  /** Push [EVENT, streamId, ...payload]; returns the bytes the connection has not sent yet. */
  event(streamId: number, payload: unknown[]): number;
  /** Cut the connection off with `err` (after what it was sent): a stream it does not read. */
  cutOff(err: KvndbError): void;
  /** Call `fn` once when the connection has closed. */
  onClose(fn: () => void): void;
}

export function isStreamSink(sink: ReplySink): sink is StreamSink {
  return typeof (sink as Partial<StreamSink>).event === 'function';
}
