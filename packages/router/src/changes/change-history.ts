import { decodeBody, FRAME_HEADER_BYTES, type WireChange, type WriteOp } from '@kvndb/shared';
import type { WriteBacklog } from '../writes/write-backlog';
import { changesOf, type SlimResults } from './change-events';

/** One past write as a watcher catching up reads it. */
export interface PastWrite {
  epoch: number;
  seq: number;
  changes: WireChange[];
}

/**
 * The change feed's history: the writes a watcher can resume from. It holds no copy of the
 * writes: their WRITE frames are already in the write backlog (kept for replica catch-up,
 * bounded by --backlog-bytes), so it keeps only each write's results, slimmed (a shared
 * constant for the usual all-`true` results), for the seqs the backlog still holds. A
 * resuming watcher's events are rebuilt from frame and results; the live path never decodes.
 *
 * Seqs with no results are writes nobody observed: epoch markers (no ops), and a write that
 * no replica acknowledged before it timed out (docs/ARCHITECTURE.md "Change streams").
 */
export class ChangeHistory {
  /** results[i] belongs to seq `first + i - head`. */
  private results: (SlimResults | undefined)[] = [];
  private head = 0;
  private first = 1;

  constructor(private readonly backlog: WriteBacklog) {}

  /** The newest seq with results recorded (first - 1 when none). */
  get lastSeq(): number {
    return this.first + this.results.length - this.head - 1;
  }

  /**
   * Watches may resume from this seq or later: every write after it is still held (its
   * frame in the backlog, its results here, or it is still to come).
   */
  get floor(): number {
    return Math.max(this.first, this.backlog.firstSeq) - 1;
  }

  /** Record the results of write `seq` (observed in seq order). */
  record(seq: number, results: SlimResults): void {
    const oldest = this.backlog.firstSeq;
    // A seq at or below the newest recorded one starts a new history (a new epoch after a
    // lower seq); results older than the backlog are no use.
    if (seq <= this.lastSeq || oldest > this.lastSeq + 1) this.reset(Math.min(seq, oldest) - 1);
    // Seqs skipped (epoch markers, unobserved writes) hold no results.
    for (let s = this.lastSeq + 1; s < seq; s++) this.results.push(undefined);
    this.results.push(results);
    this.trim();
  }

  /** Forget everything: a new epoch began (the backlog was reset with it). */
  restart(): void {
    this.reset(this.backlog.firstSeq - 1);
  }

  /** The changes of write `seq` from the backlog's frame and the recorded results; undefined if it is not held. */
  write(seq: number): PastWrite | undefined {
    if (seq <= this.floor || seq > this.lastSeq) return undefined;
    const results = this.results[this.head + seq - this.first];
    const frame = this.backlog.get(seq);
    if (frame === undefined) return undefined;
    if (results === undefined) return { epoch: 0, seq, changes: [] };
    const msg = decodeBody(frame.subarray(FRAME_HEADER_BYTES)) as [number, number, number, WriteOp[], number];
    return { epoch: msg[1], seq, changes: changesOf(msg[3], results, msg[4]) };
  }

  private reset(afterSeq: number): void {
    this.results = [];
    this.head = 0;
    this.first = afterSeq + 1;
  }

  /** Forget results whose frames the backlog dropped (amortised: the array is compacted now and then). */
  private trim(): void {
    const oldest = this.backlog.firstSeq;
    if (oldest <= this.first) return;
    const drop = Math.min(oldest - this.first, this.results.length - this.head);
    for (let i = 0; i < drop; i++) this.results[this.head + i] = undefined;
    this.head += drop;
    this.first += drop;
    if (this.head > 4096 && this.head * 2 > this.results.length) {
      this.results = this.results.slice(this.head);
      this.head = 0;
    }
  }
}
