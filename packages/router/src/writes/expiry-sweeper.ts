import { Answer, earliestExpiry, type KvndbError, type WriteOp } from '@kvndb/shared';
import type { RouterClock } from '../router-clock';
import type { ReplySink } from '../requests/reply-sink';
import type { WriteSequencer, WriteTarget } from './write-sequencer';

/**
 * Keys one sweep write removes at most: bounded work per write on every replica. Measured
 * with 1M keys expiring at once (bench/expiry.js, memory replica): 1000 per sweep removed
 * them in 11 s with GET p50/p99 8.7/18.5 ms meanwhile; 500 in 9.5 s at 0.17/7.5 ms; 200 in
 * 11.6 s at 0.27/3.3 ms. A sweep costs a round trip, so smaller is not faster.
 */
export const SWEEP_LIMIT = 500;
/** After a failed sweep (no replica, a timeout), try again this much later. */
const RETRY_MS = 1000;

export interface SweepTargets {
  readonly live: readonly WriteTarget[];
  readonly inSyncIds: readonly number[];
}

/**
 * Removes expired keys with ordered writes (docs/DESIGN.md "Expiry"), so every replica and
 * every watcher sees each removal at one position in the stream, as a Redis master sends
 * DEL to its replicas. The router holds no keys: it knows only the earliest time at which
 * some key may expire, from each joining replica's HELLO (its store's earliest expiry), the
 * writes it sequences (their ttl) and each sweep's answer (the earliest expiry left). When that time comes it sequences a sweep, which
 * every replica applies alike: remove up to SWEEP_LIMIT keys expired at the write's time.
 * A full sweep is followed by the next one at once; one sweep is in flight at a time, so
 * client writes interleave with them and keep their latency.
 */
export class ExpirySweeper implements ReplySink {
  /** The earliest time a key may expire (0: none known). */
  private due = 0;
  /** The earliest expiry among writes sequenced after the sweep in flight. */
  private seenSince = 0;
  private sweeping = false;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  /** Keys removed so far, for status. */
  removed = 0;

  constructor(
    private readonly sequencer: WriteSequencer,
    private readonly targets: SweepTargets,
    private readonly clock: RouterClock,
  ) {}

  /** Serving began: sweeps may run from now on. */
  start(): void {
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** A client write was sequenced at `time`: note the earliest expiry it may set. */
  noteWrite(ops: readonly WriteOp[], time: number): void {
    const x = earliestExpiry(ops, time);
    if (x !== 0) this.consider(x);
  }

  /** Some key expires at `at` (a joining replica's earliest expiry, from its HELLO). */
  expiryKnown(at: number | undefined): void {
    if (typeof at === 'number' && Number.isSafeInteger(at) && at > 0) this.consider(at);
  }

  private consider(at: number): void {
    if (this.sweeping && (this.seenSince === 0 || at < this.seenSince)) this.seenSince = at;
    if (this.due === 0 || at < this.due) {
      this.due = at;
      this.schedule(true);
    }
  }

  private schedule(earlier = false): void {
    if (!this.running || this.sweeping || this.due === 0) return;
    if (this.timer) {
      if (!earlier) return;
      clearTimeout(this.timer);
    }
    // setTimeout's limit is about 24.8 days; a later expiry is looked at again then.
    const delay = Math.min(Math.max(0, this.due - this.clock.now()), 0x7fffffff);
    this.timer = setTimeout(this.sweep, delay);
    this.timer.unref();
  }

  private readonly sweep = (): void => {
    this.timer = undefined;
    if (!this.running) return;
    const { live, inSyncIds } = this.targets;
    if (inSyncIds.length === 0) {
      this.due = this.clock.now() + RETRY_MS;
      this.schedule();
      return;
    }
    this.sweeping = true;
    this.seenSince = 0;
    this.due = 0;
    try {
      this.sequencer.sequence([['x', SWEEP_LIMIT]], live, inSyncIds, Answer.First, this, 0);
    } catch {
      this.sweeping = false;
      this.due = this.clock.now() + RETRY_MS;
      this.schedule();
    }
  };

  /** The sweep's answer: [keys removed, the earliest expiry left (0: none)]. */
  reply(_tag: number, err: KvndbError | null, value?: unknown): void {
    this.sweeping = false;
    let next = this.clock.now() + RETRY_MS;
    if (err === null && Array.isArray(value) && Array.isArray(value[0]) && typeof value[1] === 'number') {
      const keys = value[0] as unknown[];
      this.removed += keys.length;
      // A full sweep may have left more keys that are already due: go on at once.
      next = keys.length >= SWEEP_LIMIT ? this.clock.now() : value[1];
    }
    const since = this.seenSince;
    this.seenSince = 0;
    this.due = 0;
    if (next !== 0) this.consider(next);
    if (since !== 0) this.consider(since);
  }
}
