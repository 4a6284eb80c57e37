import { KvndbError, OP_NAMES } from '@kvndb/shared';
import type { StreamHost } from './watch';

/**
 * One blocking read (get with waitMs, wait): the router holds it until a key exists or
 * the wait ends, so it is kept apart from the command queue, whose single timer relies on
 * every request having the same timeout. It is a one-answer stream: after a reconnect it
 * is sent again with what is left of its wait; it fails with TIMEOUT when no answer came
 * within the wait plus the request timeout.
 */
export class BlockingRequest<R> {
  readonly promise: Promise<R>;
  private resolve!: (v: R) => void;
  private reject!: (e: Error) => void;
  private readonly waitEnds: number;
  private readonly timer: NodeJS.Timeout;
  private id: number | undefined;
  private done = false;
  private stopConnect: (() => void) | undefined;

  constructor(
    private readonly host: StreamHost,
    private readonly msg: unknown[],
    private readonly decode: (v: unknown) => R,
    waitMs: number,
    timeoutMs: number,
  ) {
    this.promise = new Promise<R>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.waitEnds = Date.now() + waitMs;
    this.timer = setTimeout(() => {
      const op = OP_NAMES[msg[0] as number] ?? `op ${String(msg[0])}`;
      this.finish(KvndbError.timeout(`${op} got no answer within its wait of ${waitMs} ms and the request timeout of ${timeoutMs} ms`, { op, waitMs, timeoutMs }));
      // setTimeout takes at most 2^31 - 1 ms.
    }, Math.min(waitMs + timeoutMs, 0x7fffffff));
    this.send();
  }

  private send(): void {
    if (this.done) return;
    // waitMs is field 3 of both GET_WAIT and WAIT: what is left of it after a reconnect.
    this.msg[3] = Math.max(0, this.waitEnds - Date.now());
    try {
      this.id = this.host.openStream(this.msg, {
        result: (v) => {
          let value: R;
          try {
            value = this.decode(v);
          } catch (err) {
            return this.finish(err as Error);
          }
          this.finish(null, value);
        },
        error: (err) => this.finish(err),
        lost: () => {
          this.id = undefined;
          this.send();
        },
      });
    } catch (err) {
      return this.finish(err as Error);
    }
    if (this.id === undefined && this.stopConnect === undefined) {
      this.stopConnect = this.host.onConnect(() => {
        if (this.id === undefined) this.send();
      });
    }
  }

  private finish(err: Error | null, value?: R): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.stopConnect?.();
    if (this.id !== undefined) this.host.closeStream(this.id, false);
    if (err) this.reject(err);
    else this.resolve(value as R);
  }
}
