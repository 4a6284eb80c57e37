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
 * bounded by --backlog-bytes), and each write's results, slimmed (a shared constant for the
 * usual all-`true` results), are attached to its backlog entry as a note, so they live and
 * go with the frame: recording costs one array store and nothing to trim. A resuming
 * watcher's events are rebuilt from frame and results; the live path never decodes.
 *
 * Seqs with no results are writes nobody observed: epoch markers (no ops), and a write that
 * no replica acknowledged before it timed out (docs/ARCHITECTURE.md "Change streams").
 */
export class ChangeHistory {
  /** The oldest seq this history answers for (a new epoch starts it again). */
  private first = 1;
  /** The newest seq with results recorded (first - 1 when none). */
  private last = 0;

  constructor(private readonly backlog: WriteBacklog) {}

  /** The newest seq with results recorded (first - 1 when none). */
  get lastSeq(): number {
    return this.last;
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
    // A seq at or below the newest recorded one starts a new history (a new epoch after a
    // lower seq).
    if (seq <= this.last) this.reset(Math.min(seq, this.backlog.firstSeq) - 1);
    this.backlog.note(seq, results);
    this.last = seq;
  }

  /** Forget everything: a new epoch began (the backlog was reset with it). */
  restart(): void {
    this.reset(this.backlog.firstSeq - 1);
  }

  /** The changes of write `seq` from the backlog's frame and the recorded results; undefined if it is not held. */
  write(seq: number): PastWrite | undefined {
    if (seq <= this.floor || seq > this.last) return undefined;
    const frame = this.backlog.get(seq);
    if (frame === undefined) return undefined;
    const results = this.backlog.noteOf(seq) as SlimResults | undefined;
    if (results === undefined) return { epoch: 0, seq, changes: [] };
    const msg = decodeBody(frame.subarray(FRAME_HEADER_BYTES)) as [number, number, number, WriteOp[], number];
    return { epoch: msg[1], seq, changes: changesOf(msg[3], results, msg[4]) };
  }

  private reset(afterSeq: number): void {
    this.first = afterSeq + 1;
    this.last = afterSeq;
  }
}
