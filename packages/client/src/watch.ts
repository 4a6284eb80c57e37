import { ErrorCode, KvndbError, decodeWatchPayload, watchRequest, type ChangeEvent, type Limits } from '@kvndb/shared';
import type { StreamHandler } from './streams';

export interface WatchOptions {
  /**
   * Start after this seq: every change with a greater seq is delivered (a key's version,
   * read with mgetEntries or getEntry, is the seq of its last change). Default: after the
   * router's newest write when the watch starts.
   */
  fromSeq?: number;
  /**
   * Events held for a consumer that has not taken them, default 10000. Past it the watch
   * is paused at the router and resumed from the same seq once the consumer catches up, so
   * a slow consumer costs neither this process nor the router memory.
   */
  maxBuffered?: number;
}

/** What a watch needs from its client. */
export interface StreamHost {
  readonly limits: Limits;
  /** Send `msg` (its id filled in) as a stream; the id, or undefined while not connected. Throws once the client is closed for good. */
  openStream(msg: unknown[], handler: StreamHandler): number | undefined;
  /** Forget stream `id` and tell the router (UNWATCH), if it is still open. */
  closeStream(id: number, unwatch: boolean): void;
  /** Call `fn` on every new connection; returns the function that stops. */
  onConnect(fn: () => void): () => void;
}

/**
 * A watch as the application sees it: an async iterable of change events in seq order.
 * It keeps the seq of the last write it received and, after a reconnect or a router
 * restart, opens the watch again from there, so nothing is lost or repeated while the
 * router's history still holds that seq; beyond it the iteration fails with COMPACTED
 * (err.details.oldestSeq). `started` resolves with the seq the watch starts after.
 */
export class Watch implements AsyncIterableIterator<ChangeEvent> {
  /** The seq the watch started after (resolves once the router answered). */
  readonly started: Promise<number>;
  /** Every write up to this seq has been received. */
  position: number | null;
  private readonly buffered: ChangeEvent[] = [];
  private bufferedHead = 0;
  private failure: KvndbError | undefined;
  private ended = false;
  private streamId: number | undefined;
  /** Paused at the router because the consumer fell maxBuffered behind. */
  private suspended = false;
  private waiter: { resolve: (r: IteratorResult<ChangeEvent>) => void; reject: (e: Error) => void } | undefined;
  private readonly stopConnect: () => void;
  private readonly maxBuffered: number;
  private resolveStarted!: (seq: number) => void;
  private rejectStarted!: (err: Error) => void;

  constructor(
    private readonly host: StreamHost,
    private readonly what: string | string[],
    options: WatchOptions = {},
  ) {
    this.position = options.fromSeq ?? null;
    this.maxBuffered = options.maxBuffered ?? 10_000;
    if (!(this.maxBuffered >= 1)) throw KvndbError.badRequest(`maxBuffered must be at least 1, got ${String(options.maxBuffered)}`);
    // Checked now, so a bad prefix or key fails the call rather than the first next().
    watchRequest(host.limits, what, this.position);
    this.started = new Promise<number>((resolve, reject) => {
      this.resolveStarted = resolve;
      this.rejectStarted = reject;
    });
    // Nobody may await started: its rejection is reported through next() as well.
    this.started.catch(() => undefined);
    this.stopConnect = host.onConnect(() => {
      if (this.streamId === undefined && !this.suspended) this.open();
    });
    this.open();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<ChangeEvent>> {
    if (this.bufferedHead < this.buffered.length) {
      const e = this.buffered[this.bufferedHead];
      this.buffered[this.bufferedHead++] = undefined as unknown as ChangeEvent;
      this.compact();
      return Promise.resolve({ value: e, done: false });
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** Stop watching (for await's break calls this). */
  return(): Promise<IteratorResult<ChangeEvent>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.stopConnect();
    if (this.streamId !== undefined) this.host.closeStream(this.streamId, true);
    this.streamId = undefined;
    this.buffered.length = 0;
    this.bufferedHead = 0;
    this.rejectStarted(KvndbError.connectionClosed('the watch was closed before it started'));
    this.settleWaiter();
  }

  private open(): void {
    if (this.ended) return;
    const msg = watchRequest(this.host.limits, this.what, this.position);
    let id: number | undefined;
    const handler: StreamHandler = {
      result: (value) => {
        if (typeof value !== 'number') return this.fail(KvndbError.protocol(`WATCH was answered with ${String(value)}, not a seq`));
        if (this.position === null) this.position = value;
        this.resolveStarted(value);
      },
      event: (payload) => {
        let events: ChangeEvent[];
        try {
          events = decodeWatchPayload(payload);
        } catch (err) {
          return this.fail(err as KvndbError);
        }
        const seq = (payload as [number, number])[1];
        // Resumed watches start after `position`: an earlier write would be a repeat.
        if (this.position !== null && seq <= this.position) return;
        this.position = seq;
        for (const e of events) this.push(e);
        if (this.buffered.length - this.bufferedHead >= this.maxBuffered && id !== undefined && this.streamId === id) {
          this.suspended = true;
          this.streamId = undefined;
          this.host.closeStream(id, true);
        }
      },
      error: (err) => {
        if (this.streamId === id) this.streamId = undefined;
        // A stopping router ends its streams with the seq each had reached (matching or not):
        // the connection closes next and the watch resumes from there on the new one.
        if (err.code === ErrorCode.SHUTTING_DOWN) {
          const seq = err.details?.seq;
          if (typeof seq === 'number' && (this.position === null || seq > this.position)) this.position = seq;
          return;
        }
        this.fail(err);
      },
      lost: () => {
        if (this.streamId !== id) return;
        this.streamId = undefined;
        // Not connected: this waits for the next connection, or fails if there will be none.
        if (!this.suspended) this.open();
      },
    };
    try {
      id = this.host.openStream(msg, handler);
    } catch (err) {
      return this.fail(err as KvndbError);
    }
    this.streamId = id;
  }

  private push(e: ChangeEvent): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve({ value: e, done: false });
    } else {
      this.buffered.push(e);
    }
  }

  private compact(): void {
    const held = this.buffered.length - this.bufferedHead;
    if (held === 0) {
      this.buffered.length = 0;
      this.bufferedHead = 0;
    } else if (this.bufferedHead > 1024 && this.bufferedHead * 2 > this.buffered.length) {
      this.buffered.splice(0, this.bufferedHead);
      this.bufferedHead = 0;
    }
    // The consumer caught up: resume at the router from the seq it stopped at.
    if (this.suspended && held <= this.maxBuffered / 2) {
      this.suspended = false;
      this.open();
    }
  }

  private fail(err: KvndbError): void {
    if (this.ended) return;
    this.failure = err;
    this.ended = true;
    this.stopConnect();
    if (this.streamId !== undefined) this.host.closeStream(this.streamId, true);
    this.streamId = undefined;
    this.rejectStarted(err);
    this.settleWaiter();
  }

  private settleWaiter(): void {
    const w = this.waiter;
    if (!w) return;
    this.waiter = undefined;
    if (this.failure) w.reject(this.failure);
    else w.resolve({ value: undefined, done: true });
  }
}
