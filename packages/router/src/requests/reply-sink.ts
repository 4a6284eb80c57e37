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
