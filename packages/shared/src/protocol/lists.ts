import { ErrorCode, KvndbError } from './errors';

/** Redis's words for an op on a key of the other type; the RESP door answers them as they are. */
export const WRONG_TYPE_MESSAGE = 'Operation against a key holding the wrong kind of value';

/** The error a read of a list as a string (or the reverse) fails with. */
export function wrongType(): KvndbError {
  return new KvndbError(ErrorCode.WRONG_TYPE, WRONG_TYPE_MESSAGE);
}

/**
 * Redis's LRANGE/LTRIM indexes (negative ones count from the end, both ends inclusive) on a
 * list of `length` items, as [start, stop] with 0 <= start <= stop < length, or null when the
 * range holds no item.
 */
export function listSpan(start: number, stop: number, length: number): [number, number] | null {
  if (start < 0) start = Math.max(0, length + start);
  if (stop < 0) stop = length + stop;
  if (stop >= length) stop = length - 1;
  if (start > stop || start >= length) return null;
  return [start, stop];
}

/** LINDEX/LSET's index (negative from the end) as a position in 0..length-1, or -1 when outside. */
export function listIndex(index: number, length: number): number {
  const i = index < 0 ? length + index : index;
  return i >= 0 && i < length ? i : -1;
}
