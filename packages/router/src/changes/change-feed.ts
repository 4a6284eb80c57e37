import { ErrorCode, KvndbError, type WatchSelector, type WireChange } from '@kvndb/shared';
import type { AppliedWrite } from '../writes/write-sequencer';
import type { WriteBacklog } from '../writes/write-backlog';
import { changesOf, slimResults } from './change-events';
import { ChangeHistory } from './change-history';
import { Watcher, type WatchConsumer } from './watcher';

/** The sequencer's position: where a watch without fromSeq starts. */
export interface SequencePosition {
  readonly seq: number;
}

/** Who else follows the changes (the blocked readers); asked only while it has any. */
export interface ChangeListener {
  readonly active: boolean;
  changed(changes: readonly WireChange[]): void;
}

export interface ChangeFeedOptions {
  /** Watchers open at once on this router, every door together. */
  maxWatchers: number;
}

/**
 * The router's change feed: every write once a replica applied it (Router.observeWrites),
 * turned into change events for the watchers (docs/PROTOCOL.md "Change events") and the
 * blocked readers. It keeps each write's slimmed results in its history (change-history.ts:
 * the WRITE frames themselves are the write backlog's), so a watcher can resume from any seq
 * the backlog holds, including on a router that nobody watched until then. With no watcher
 * and no blocked reader, a write costs one call, a results check and one array slot.
 *
 * Any door subscribes with watch(selector, fromSeq, consumer): the answer is the watcher,
 * whose `position` is the seq it starts after; call start() once that was sent.
 */
export class ChangeFeed {
  readonly history: ChangeHistory;
  private readonly watchers = new Set<Watcher>();
  private epoch = 0;
  private listener: ChangeListener | undefined;
  private stopped: KvndbError | undefined;

  constructor(
    backlog: WriteBacklog,
    private readonly position: SequencePosition,
    private readonly options: ChangeFeedOptions,
  ) {
    this.history = new ChangeHistory(backlog);
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  /** The blocked readers (key-waiters.ts). */
  listen(listener: ChangeListener): void {
    this.listener = listener;
  }

  /** Router.observeWrites' observer. */
  readonly observe = (w: AppliedWrite): void => {
    if (w.epoch !== this.epoch) {
      if (this.epoch !== 0) this.history.restart();
      this.epoch = w.epoch;
    }
    this.history.record(w.seq, slimResults(w.ops, w.results));
    const listener = this.listener;
    if (this.watchers.size === 0 && !listener?.active) return;
    const changes = changesOf(w.ops, w.results, w.time);
    for (const watcher of this.watchers) watcher.offer(w.epoch, w.seq, changes);
    if (changes.length > 0 && listener?.active) listener.changed(changes);
  };

  /**
   * Open a watch of `selector` after `fromSeq` (null: after the newest write sequenced now,
   * so every read sent after the answer reflects every write up to it). Throws COMPACTED
   * when the history no longer holds the writes after fromSeq (or fromSeq is ahead of the
   * router's newest write: writes were lost), TOO_MANY_REQUESTS past maxWatchers.
   */
  watch(selector: WatchSelector, fromSeq: number | null, consumer: WatchConsumer): Watcher {
    if (this.stopped) throw this.stopped;
    if (this.watchers.size >= this.options.maxWatchers) {
      throw new KvndbError(ErrorCode.TOO_MANY_REQUESTS, `this router already serves ${this.watchers.size} watches (--max-watchers ${this.options.maxWatchers})`);
    }
    const newest = this.position.seq;
    const floor = this.history.floor;
    let start = newest;
    if (fromSeq !== null) {
      if (fromSeq < floor) {
        throw new KvndbError(
          ErrorCode.COMPACTED,
          `seq ${fromSeq} is older than the router's history, which starts at seq ${floor + 1} (--backlog-size bounds it; a restarted router starts after the replicas' seq); re-read and watch from a newer seq`,
          { details: { oldestSeq: floor + 1 } },
        );
      }
      if (fromSeq > newest) {
        throw new KvndbError(
          ErrorCode.COMPACTED,
          `seq ${fromSeq} is ahead of the router's newest write ${newest}: writes after ${newest} were lost (a router or replica restarted without them); re-read and watch again`,
          { details: { oldestSeq: floor + 1, newestSeq: newest } },
        );
      }
      start = fromSeq;
    }
    const w = new Watcher(selector, start, consumer, this.history, (x) => this.watchers.delete(x));
    this.watchers.add(w);
    return w;
  }

  /** About once a second (the router's tick): progress marks for watchers whose keys saw no change. */
  tick(): void {
    for (const w of this.watchers) w.progress();
  }

  /**
   * The router is stopping: end every watch with `err`, its details carrying the watch's
   * position as `seq` (every write up to it was delivered or did not match), so its client
   * resumes from there on the next router even when the last writes matched nothing.
   */
  stop(err: KvndbError): void {
    this.stopped = err;
    for (const w of [...this.watchers]) {
      w.fail(new KvndbError(err.code, err.message, { details: { ...err.details, seq: w.position } }));
    }
  }
}
