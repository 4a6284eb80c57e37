import { KvndbError, Op, SNAPSHOT_CHUNK_BYTES, type Logger, type ResyncProgress } from '@kvndb/shared';
import type { ReplicaLink } from '../replicas/replica-link';

/** What a full resync works with. */
export interface ResyncParts {
  /** The router's write position (the write sequencer): a snapshot is taken at its seq. */
  readonly position: { readonly epoch: number; readonly seq: number };
  /** An in-sync replica to take the snapshot from (never `joiner`), or undefined. */
  readonly sources: { pickSource(joiner: ReplicaLink): ReplicaLink | undefined };
  /**
   * Queues every backlog write after `fromSeq` to `link`, marks it in sync and sends
   * SYNC_DONE, all synchronously. False when the backlog no longer holds fromSeq + 1.
   */
  readonly catchUp: { finishSync(link: ReplicaLink, fromSeq: number): boolean };
}

export interface ResyncOptions {
  /** Snapshot chunks in flight per resync. */
  window: number;
  /** Optional cap on streamed key+value bytes per second. */
  rateBytesPerSec?: number;
  /** How often progress is logged while resyncs run. */
  progressIntervalMs: number;
  /** Wait before retrying after a side aborted (not after a disconnect). */
  retryDelayMs: number;
  logger: Logger;
}

export const DEFAULT_RESYNC_WINDOW = 8;

interface Resync {
  id: number;
  joiner: ReplicaLink;
  source: ReplicaLink;
  epoch: number;
  /** Snapshot position: the joiner holds exactly writes 1..x after SNAPSHOT_END. */
  x: number;
  startedAt: number;
  keysDone: number;
  bytesDone: number;
  /** Chunks forwarded to the joiner, and how many of them it acknowledged. */
  chunks: number;
  acked: number;
  /** The source sent SNAPSHOT_END: waiting for the joiner's last acks, the source is done. */
  ended: boolean;
  totalKeys: number | undefined;
  /** Credits owed to the source, held back by the rate limit. */
  heldCredits: number;
  creditTimer: NodeJS.Timeout | undefined;
}

/**
 * Full resyncs: asks an in-sync source for a snapshot at X, forwards its chunks to the
 * joiner and the joiner's acks back as credits (so at most `window` chunks are in flight),
 * then hands the joiner every write after X from the backlog. Writes sequenced meanwhile
 * are not sent to the joiner live; they wait in the backlog, which keeps the joiner's
 * stream exactly snapshot-then-writes. Either side going away aborts the resync and the
 * joiner starts over, from another source when one exists.
 */
export class ResyncCoordinator {
  private readonly active = new Map<number, Resync>();
  private readonly byJoiner = new Map<ReplicaLink, Resync>();
  /** Joiners waiting for any replica to be in sync. */
  private readonly waiting = new Set<ReplicaLink>();
  private readonly retryTimers = new Map<ReplicaLink, NodeJS.Timeout>();
  private progressTimer: NodeJS.Timeout | undefined;
  private nextId = 0;
  private stopped = false;

  constructor(
    private readonly parts: ResyncParts,
    private readonly options: ResyncOptions,
  ) {}

  get activeCount(): number {
    return this.active.size;
  }

  get waitingCount(): number {
    return this.waiting.size;
  }

  /** `joiner` needs a full resync and no replica is in sync to copy from. */
  isWaiting(joiner: ReplicaLink): boolean {
    return this.waiting.has(joiner);
  }

  /** Bring `joiner` up to date with a snapshot. It stays 'syncing' until that is done. */
  start(joiner: ReplicaLink, reason: string): void {
    if (this.stopped || joiner.isClosed) return;
    this.cancelRetry(joiner);
    const previous = this.byJoiner.get(joiner);
    if (previous) this.abort(previous, 'resync restarted', 'neither');
    joiner.setState('syncing');
    const source = this.parts.sources.pickSource(joiner);
    if (!source) {
      if (!this.waiting.has(joiner)) {
        this.waiting.add(joiner);
        this.options.logger.warn(`full resync of ${joiner.name} (${reason}) waits: no replica is in sync to copy from`);
      }
      return;
    }
    this.waiting.delete(joiner);
    const r: Resync = {
      id: ++this.nextId,
      joiner,
      source,
      epoch: this.parts.position.epoch,
      x: this.parts.position.seq,
      startedAt: Date.now(),
      keysDone: 0,
      bytesDone: 0,
      chunks: 0,
      acked: 0,
      ended: false,
      totalKeys: undefined,
      heldCredits: 0,
      creditTimer: undefined,
    };
    this.active.set(r.id, r);
    this.byJoiner.set(joiner, r);
    joiner.epoch = r.epoch;
    joiner.ackedSeq = 0;
    joiner.send([Op.SYNC_START, 'full', r.epoch, r.x, { resyncId: r.id, source: source.name }]);
    // Sent now, so it follows WRITE x in the source's stream: the snapshot is taken exactly at x.
    source.send([Op.SNAPSHOT_REQUEST, r.id, r.epoch, r.x, this.initialWindow()]);
    this.options.logger.info(`full resync ${r.id} of ${joiner.name} from ${source.name} at seq ${r.x} (${reason})`);
    this.ensureProgressTimer();
  }

  /** A replica came in sync: joiners that had no source can start now. */
  sourceAvailable(): void {
    if (this.waiting.size === 0) return;
    const joiners = [...this.waiting];
    this.waiting.clear();
    for (const j of joiners) this.start(j, 'a source is in sync now');
  }

  /**
   * SNAPSHOT_CHUNK / END from a source, SNAPSHOT_ACK from a joiner, SNAPSHOT_ABORT from
   * either: each replica link hands them here directly.
   */
  handle(link: ReplicaLink, msg: unknown[]): void {
    const id = msg[1];
    if (typeof id !== 'number') throw KvndbError.protocol(`snapshot message without a resync id`);
    const r = this.active.get(id);
    switch (msg[0]) {
      case Op.SNAPSHOT_CHUNK: {
        const entries = msg[2];
        if (!Array.isArray(entries)) throw KvndbError.protocol('SNAPSHOT_CHUNK is [SNAPSHOT_CHUNK, resyncId, [[key, value], ...]]');
        if (!r || r.source !== link) return; // a resync that was aborted: the source stops soon
        let bytes = 0;
        for (const e of entries) {
          if (Array.isArray(e)) bytes += (typeof e[0] === 'string' ? e[0].length : 0) + (e[1] instanceof Uint8Array ? e[1].length : 0);
        }
        // The first chunk may carry the snapshot's key count: with it, progress has an ETA.
        if (typeof msg[3] === 'number' && r.totalKeys === undefined) r.totalKeys = msg[3];
        r.keysDone += entries.length;
        r.bytesDone += bytes;
        r.chunks++;
        r.joiner.send(msg);
        return;
      }
      case Op.SNAPSHOT_END: {
        if (!r || r.source !== link || r.ended) return;
        r.totalKeys = typeof msg[2] === 'number' ? msg[2] : r.keysDone;
        r.ended = true;
        r.joiner.send(msg);
        // In sync only once the joiner has acknowledged every chunk (see SNAPSHOT_ACK).
        if (r.acked === r.chunks) this.finish(r);
        return;
      }
      case Op.SNAPSHOT_ACK: {
        if (!r || r.joiner !== link) return;
        const n = msg[2];
        // A joiner acknowledges chunks it was sent and has applied, one or more at a time.
        // Anything else (repeats, more than was forwarded) would hand the source credit
        // beyond the window or mark an unloaded joiner in sync: a protocol violation.
        if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || n > r.chunks - r.acked) {
          throw KvndbError.protocol(
            `SNAPSHOT_ACK of ${describeCount(n)} chunks for resync ${r.id}, but ${r.chunks - r.acked} were forwarded and not yet acknowledged`,
          );
        }
        r.acked += n;
        if (r.ended) {
          if (r.acked === r.chunks) this.finish(r);
        } else {
          this.credit(r, n);
        }
        return;
      }
      case Op.SNAPSHOT_ABORT: {
        if (!r) return;
        const reason = typeof msg[2] === 'string' ? msg[2] : 'no reason given';
        if (link === r.source) {
          this.options.logger.warn(`full resync ${r.id}: source ${r.source.name} aborted (${reason}); ${r.joiner.name} will start over`);
          this.drop(r);
          r.joiner.send([Op.SNAPSHOT_ABORT, r.id, `source aborted: ${reason}`]);
          this.retryLater(r.joiner);
        } else if (link === r.joiner) {
          this.options.logger.warn(`full resync ${r.id}: joiner ${r.joiner.name} aborted (${reason})`);
          this.drop(r);
          r.source.send([Op.SNAPSHOT_ABORT, r.id, `joiner aborted: ${reason}`]);
          this.retryLater(r.joiner);
        }
        return;
      }
    }
  }

  /** A replica disconnected: abort every resync it took part in. */
  linkLost(link: ReplicaLink): void {
    this.waiting.delete(link);
    this.cancelRetry(link);
    const mine = this.byJoiner.get(link);
    if (mine) this.abort(mine, `joiner ${link.name} disconnected`, 'joiner');
    for (const r of [...this.active.values()]) {
      // A source that already sent SNAPSHOT_END is no longer needed.
      if (r.source !== link || r.ended) continue;
      this.abort(r, `source ${link.name} disconnected`, 'source');
      this.start(r.joiner, `source ${link.name} disconnected`);
    }
  }

  /** Progress of the resync bringing `link` up, for status. */
  progress(link: ReplicaLink): ResyncProgress | undefined {
    const r = this.byJoiner.get(link);
    if (!r) {
      if (!this.waiting.has(link)) return undefined;
      return { mode: 'full', keysDone: 0, bytesDone: 0, keysPerSec: 0, bytesPerSec: 0, startedAt: Date.now(), waitingForSource: true };
    }
    return describeProgress(r, Date.now());
  }

  stop(): void {
    this.stopped = true;
    for (const r of this.active.values()) if (r.creditTimer) clearTimeout(r.creditTimer);
    this.active.clear();
    this.byJoiner.clear();
    this.waiting.clear();
    for (const t of this.retryTimers.values()) clearTimeout(t);
    this.retryTimers.clear();
    if (this.progressTimer) clearInterval(this.progressTimer);
    this.progressTimer = undefined;
  }

  /** Abort `r` and tell the sides that are still there; `gone` is the one that is not. */
  private abort(r: Resync, reason: string, gone: 'joiner' | 'source' | 'neither'): void {
    this.drop(r);
    this.options.logger.warn(`full resync ${r.id} of ${r.joiner.name} from ${r.source.name} aborted: ${reason}`);
    if (gone !== 'joiner' && !r.joiner.isClosed) r.joiner.send([Op.SNAPSHOT_ABORT, r.id, reason]);
    if (gone !== 'source' && !r.ended && !r.source.isClosed) r.source.send([Op.SNAPSHOT_ABORT, r.id, reason]);
  }

  private finish(r: Resync): void {
    this.drop(r);
    const p = describeProgress(r, Date.now());
    if (!this.parts.catchUp.finishSync(r.joiner, r.x)) {
      this.options.logger.warn(
        `backlog too small for resync; raise --backlog-size (resync ${r.id} of ${r.joiner.name} ended at seq ${r.x}, the router is at ${this.parts.position.seq} and no longer holds write ${r.x + 1}); starting over`,
      );
      this.start(r.joiner, 'backlog overrun');
      return;
    }
    this.options.logger.info(
      `full resync ${r.id} of ${r.joiner.name} done: ${r.keysDone} keys, ${r.bytesDone} bytes in ${((Date.now() - r.startedAt) / 1000).toFixed(1)} s (${Math.round(p.keysPerSec)} keys/s)`,
    );
  }

  private drop(r: Resync): void {
    if (r.creditTimer) clearTimeout(r.creditTimer);
    r.creditTimer = undefined;
    this.active.delete(r.id);
    if (this.byJoiner.get(r.joiner) === r) this.byJoiner.delete(r.joiner);
    if (this.active.size === 0 && this.progressTimer) {
      clearInterval(this.progressTimer);
      this.progressTimer = undefined;
    }
  }

  /**
   * Chunks the source may send before the first credit. With a rate limit, no more than
   * about a second's worth (at least one chunk): the credits that follow are paced, but a
   * full window granted up front would go out at once and a small resync would run far
   * above the limit (a 200 KiB/s resync was seen at ~450 KiB/s).
   */
  private initialWindow(): number {
    const rate = this.options.rateBytesPerSec;
    if (!rate) return this.options.window;
    return Math.max(1, Math.min(this.options.window, Math.floor(rate / SNAPSHOT_CHUNK_BYTES)));
  }

  /** Pass the joiner's acks to the source as credits, late enough to respect the rate limit. */
  private credit(r: Resync, chunks: number): void {
    const rate = this.options.rateBytesPerSec;
    if (!rate) {
      r.source.send([Op.SNAPSHOT_CREDIT, r.id, chunks]);
      return;
    }
    r.heldCredits += chunks;
    if (r.creditTimer) return;
    const due = (r.bytesDone / rate) * 1000 - (Date.now() - r.startedAt);
    if (due <= 0) {
      this.releaseCredits(r);
    } else {
      r.creditTimer = setTimeout(() => {
        r.creditTimer = undefined;
        if (this.active.get(r.id) === r) this.releaseCredits(r);
      }, Math.ceil(due));
    }
  }

  private releaseCredits(r: Resync): void {
    const n = r.heldCredits;
    r.heldCredits = 0;
    if (n > 0) r.source.send([Op.SNAPSHOT_CREDIT, r.id, n]);
  }

  private retryLater(joiner: ReplicaLink): void {
    if (this.stopped || joiner.isClosed || this.retryTimers.has(joiner)) return;
    const t = setTimeout(() => {
      this.retryTimers.delete(joiner);
      if (!joiner.isClosed && joiner.state === 'syncing' && !this.byJoiner.has(joiner)) this.start(joiner, 'retry after abort');
    }, this.options.retryDelayMs);
    this.retryTimers.set(joiner, t);
  }

  private cancelRetry(joiner: ReplicaLink): void {
    const t = this.retryTimers.get(joiner);
    if (t) clearTimeout(t);
    this.retryTimers.delete(joiner);
  }

  private ensureProgressTimer(): void {
    if (this.progressTimer || this.options.progressIntervalMs <= 0) return;
    this.progressTimer = setInterval(() => {
      const now = Date.now();
      for (const r of this.active.values()) {
        const p = describeProgress(r, now);
        this.options.logger.info(
          `full resync ${r.id} of ${r.joiner.name} from ${r.source.name}: ${p.keysDone} keys, ${p.bytesDone} bytes, ${Math.round(p.keysPerSec)} keys/s, ${Math.round(p.bytesPerSec)} B/s` +
            (p.etaMs !== undefined ? `, ETA ${Math.ceil(p.etaMs / 1000)} s` : ''),
        );
      }
    }, this.options.progressIntervalMs);
    this.progressTimer.unref();
  }
}

function describeProgress(r: Resync, now: number): ResyncProgress {
  const secs = Math.max(0.001, (now - r.startedAt) / 1000);
  const keysPerSec = r.keysDone / secs;
  const p: ResyncProgress = {
    mode: 'full',
    source: r.source.name,
    keysDone: r.keysDone,
    bytesDone: r.bytesDone,
    keysPerSec,
    bytesPerSec: r.bytesDone / secs,
    startedAt: r.startedAt,
  };
  if (r.totalKeys !== undefined) {
    p.totalKeys = r.totalKeys;
    p.etaMs = keysPerSec > 0 ? Math.max(0, ((r.totalKeys - r.keysDone) / keysPerSec) * 1000) : 0;
  }
  return p;
}

function describeCount(n: unknown): string {
  return typeof n === 'number' ? String(n) : typeof n;
}
