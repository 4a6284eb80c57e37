import { int64, clampedIndex, NOT_AN_INTEGER } from './integer-arg';
import * as R from '../resp-encoder';

/** Arguments and replies the list commands share. */

/** An index or count argument (LRANGE, LINDEX, LREM, LTRIM, LSET); Redis's words otherwise. */
export function indexArg(arg: Buffer): number {
  const n = int64(arg);
  // A plain Error: the session answers it `-ERR ...`.
  if (n === undefined) throw new Error(NOT_AN_INTEGER.slice(4));
  return clampedIndex(n);
}

/** Nil where Redis answers a null array (LPOP with a count, BLPOP at its timeout). */
export function nilArray(proto: R.Proto): Buffer {
  return proto === 3 ? R.NULL3 : R.NULL_ARRAY;
}

/** LEFT or RIGHT (LMOVE); true for LEFT. */
export function sideArg(arg: Buffer): boolean {
  const s = arg.toString('latin1').toLowerCase();
  if (s === 'left') return true;
  if (s === 'right') return false;
  throw new Error('syntax error');
}
