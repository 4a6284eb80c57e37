import type { KvndbError, Limits, RouterStatus, WatchSelector } from '@kvndb/shared';
import type { WatchConsumer, Watcher } from '../changes/watcher';
import type { RouterInternals } from '../router';
import { CallbackSink, type ReplySink } from '../requests/reply-sink';
import { Door, type RequestStats } from '../requests/request-stats';
import type { HttpAuth } from './http-auth';

/** What the HTTP door needs from the router: the request path every door shares, and what /metrics and /v1/status read. */
export interface HttpBackend {
  /** A full native request [op, id, ...args]; the answer goes to sink.reply(tag, ...). */
  execute(msg: unknown[], sink: ReplySink, tag: number, door?: Door): void;
  status(): RouterStatus;
  readonly stats: RequestStats;
  internals(): RouterInternals;
  /** The change feed (Router.watch): GET /v1/watch streams it as Server-Sent Events. */
  watch(selector: WatchSelector, fromSeq: number | null, consumer: WatchConsumer): Watcher;
}

/** What every route file gets: the backend, the limits, the credentials and a promise-shaped request. */
export class HttpContext {
  constructor(
    readonly backend: HttpBackend,
    readonly limits: Limits,
    readonly auth: HttpAuth,
  ) {}

  /** The open watch streams (routes/watch.ts): stop() ends each with an error event before the sockets close. */
  readonly streams = new Set<{ shutDown(err: KvndbError): void }>();

  /** Send the native request [op, 0, ...args] through the dispatcher, as the other doors do. */
  call(msg: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.backend.execute(
        msg,
        new CallbackSink((err: KvndbError | null, value?: unknown) => (err ? reject(err) : resolve(value))),
        0,
        Door.Http,
      );
    });
  }
}
