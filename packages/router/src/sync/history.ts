/**
 * The history a router serves: which epochs it ran and where each began. Seqs never repeat
 * across epochs (an epoch continues after the seq it adopted), so a replica's (epoch, seq)
 * is a prefix of the history exactly when its epoch is one the history knows and its seq
 * is no later than that epoch's last write. Anything else holds writes this history does
 * not: a resync from it would discard them, so it never happens without the operator.
 */

/** Epoch `epoch` began after write `afterSeq` of the epoch before it (-1: not known). */
export interface EpochStart {
  readonly epoch: number;
  readonly afterSeq: number;
}

export interface Position {
  readonly epoch: number;
  readonly seq: number;
}

/**
 * Where a replica's position stands against the history.
 * - `empty`: it holds nothing (position (0, 0));
 * - `prefix`: every write it holds is in the history;
 * - `ahead`: it holds writes of the history's epochs that the history does not (a later
 *   seq in its epoch than the history kept, or an epoch newer than any the history knows);
 * - `unknown`: an older epoch this history never recorded: it cannot tell whether those
 *   writes are in it, so it must not assume they are.
 */
export type Lineage = 'empty' | 'prefix' | 'ahead' | 'unknown';

/** How many epochs a history remembers; older positions count as `unknown`. */
export const HISTORY_EPOCHS = 1000;

/**
 * `frontier` is the history's last write when known (a running router's seq); before
 * adoption it is undefined, and any seq in the newest epoch is a prefix (that epoch's
 * end is wherever its router stopped, which only its replicas know).
 */
export function lineage(pos: Position, history: readonly EpochStart[], frontier?: number): Lineage {
  if (pos.epoch === 0 && pos.seq === 0) return 'empty';
  const i = history.findIndex((e) => e.epoch === pos.epoch);
  if (i < 0) {
    const newest = history[history.length - 1];
    return !newest || pos.epoch > newest.epoch ? 'ahead' : 'unknown';
  }
  const end = i + 1 < history.length ? history[i + 1].afterSeq : frontier;
  if (end === undefined || end < 0) return 'prefix';
  return pos.seq <= end ? 'prefix' : 'ahead';
}

/** A short phrase for logs and status: why a replica at `pos` cannot be resynced. */
export function describeConflict(name: string, pos: Position, kind: Lineage, history: readonly EpochStart[]): string {
  const at = `epoch ${pos.epoch} seq ${pos.seq}`;
  if (kind === 'unknown') {
    return `${name} holds data from epoch ${pos.epoch} (${at}), which this router's history does not include; resyncing it could discard writes`;
  }
  const i = history.findIndex((e) => e.epoch === pos.epoch);
  if (i >= 0 && i + 1 < history.length) {
    return `${name} holds writes of epoch ${pos.epoch} past seq ${history[i + 1].afterSeq}, where this router's history moved on (${at}); they are in no other copy this router knows`;
  }
  return `${name} is ahead of this router's history (${at}): it holds writes this router never sequenced`;
}

/** Append an epoch, keeping the newest HISTORY_EPOCHS. */
export function appendEpoch(history: readonly EpochStart[], start: EpochStart): EpochStart[] {
  const next = [...history, start];
  return next.length > HISTORY_EPOCHS ? next.slice(next.length - HISTORY_EPOCHS) : next;
}
