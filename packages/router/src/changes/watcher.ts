import { ErrorCode, KvndbError, type WatchPayload, type WatchSelector, type WireChange } from '@kvndb/shared';
import type { ChangeHistory } from './change-history';

/** Where a watcher's events go: a door's connection (the native session, an SSE response). */
export interface WatchConsumer {
  /** One write's changes to the watched keys. Return false when full: nothing more is pushed until resume(). */
  event(payload: WatchPayload): boolean;
  /** The watch ended (COMPACTED, SHUTTING_DOWN); not called after close(). */
  error(err: KvndbError): void;
}

/** Writes a catching-up watcher replays per event-loop turn, so a long replay does not stall the router. */
const CATCH_UP_BATCH = 2000;

/**
 * One watch: a selector, a position (every write up to it has been delivered, or touched
 * no watched key) and where its events go. It is live while its consumer keeps up: each
 * observed write is filtered and pushed at once. When its consumer is full it keeps no
 * queue of its own: it stops, and on resume() catches up by replaying the feed's history
 * from its position. A watcher whose position the history has passed is cut off with
 * COMPACTED, so a watcher that does not read costs the router nothing beyond its
 * connection's high-water mark, however much is written.
 */
export class Watcher {
  /** Live: writes are pushed as they are observed. Otherwise it is catching up or paused. */
  private live = false;
  private scheduled = false;
  ended = false;
  /** The seq of the last payload pushed, and the epoch of the newest write offered. */
  private sentSeq: number;
  private epoch = 0;
  private readonly keys: ReadonlySet<string> | undefined;
  private readonly prefix: string;

  constructor(
    readonly selector: WatchSelector,
    /** Every write up to this seq is delivered. */
    public position: number,
    private readonly consumer: WatchConsumer,
    private readonly history: ChangeHistory,
    private readonly onEnd: (w: Watcher) => void,
  ) {
    this.sentSeq = position;
    this.keys = 'keys' in selector ? new Set(selector.keys) : undefined;
    this.prefix = 'prefix' in selector ? selector.prefix : '';
  }


  /** Begin delivering (after the WATCH was answered): replay from history up to the newest write, then live. */
  start(): void {
    this.catchUp();
  }

  /** The consumer can take more: catch up from where it stopped. */
  resume(): void {
    if (!this.ended && !this.live) this.catchUp();
  }

  /** A write the feed just observed (the newest). */
  offer(epoch: number, seq: number, changes: readonly WireChange[]): void {
    if (this.ended) return;
    this.epoch = epoch;
    if (!this.live) {
      // Paused: the history must still hold the next write it needs.
      if (this.position < this.history.floor) this.compacted();
      return;
    }
    if (seq <= this.position) return;
    this.position = seq;
    const mine = this.filter(changes);
    if (mine !== undefined) this.send(epoch, seq, mine);
  }

  /**
   * Called about once a second: a live watcher whose position moved past the last payload
   * it pushed (writes that touched none of its keys) pushes an empty one, a progress mark,
   * so its client resumes from there: a narrow watch is not COMPACTED after a reconnect
   * just because the history rolled past its last matching write.
   */
  progress(): void {
    if (this.ended || !this.live || this.position <= this.sentSeq || this.epoch === 0) return;
    this.send(this.epoch, this.position, []);
  }

  private send(epoch: number, seq: number, changes: WireChange[]): boolean {
    this.sentSeq = seq;
    if (this.consumer.event([epoch, seq, changes])) return true;
    this.live = false;
    return false;
  }

  /** Stop without telling the consumer (UNWATCH, the connection closed). */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd(this);
  }

  /** End with an error the consumer is told about. */
  fail(err: KvndbError): void {
    if (this.ended) return;
    this.close();
    this.consumer.error(err);
  }

  private filter(changes: readonly WireChange[]): WireChange[] | undefined {
    let mine: WireChange[] | undefined;
    for (let i = 0; i < changes.length; i++) {
      const c = changes[i];
      const key = c[1];
      const hit = c[0] === 'flush' || (this.keys !== undefined ? this.keys.has(key) : key.startsWith(this.prefix));
      if (hit) (mine ??= []).push(c);
    }
    return mine;
  }

  private catchUp = (): void => {
    this.scheduled = false;
    if (this.ended || this.live) return;
    const h = this.history;
    let budget = CATCH_UP_BATCH;
    while (this.position < h.lastSeq) {
      if (this.position < h.floor) return this.compacted();
      if (budget-- === 0) {
        if (!this.scheduled) {
          this.scheduled = true;
          setImmediate(this.catchUp);
        }
        return;
      }
      const seq = this.position + 1;
      const past = h.write(seq);
      if (past === undefined) return this.compacted();
      this.position = seq;
      if (past.epoch !== 0) this.epoch = past.epoch;
      const mine = this.filter(past.changes);
      if (mine !== undefined && !this.send(past.epoch, seq, mine)) return;
    }
    this.live = true;
  };

  private compacted(): void {
    const oldest = this.history.floor + 1;
    this.fail(
      new KvndbError(
        ErrorCode.COMPACTED,
        `the watch fell behind: it had read up to seq ${this.position} while its events were not being read, and the router's history now starts at seq ${oldest} (--backlog-size bounds it); re-read and watch again`,
        { details: { oldestSeq: oldest, position: this.position } },
      ),
    );
  }
}
