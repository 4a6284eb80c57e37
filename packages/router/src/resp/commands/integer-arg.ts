import { parseInt64 } from '@kvndb/shared';

/** Integer arguments as Redis reads them (string2ll), for the string and counter commands. */

/** Redis's word for an argument that is not an int64. */
export const NOT_AN_INTEGER = 'ERR value is not an integer or out of range';


/**
 * The int64 in `arg` (decimal, no plus sign, no leading zeros or spaces), or undefined when it
 * is not one. A plain Error with Redis's words would be answered `-ERR ...` by the session;
 * callers answer undefined themselves so each can choose its reply.
 */
export function int64(arg: Buffer): bigint | undefined {
  return arg.length > 20 ? undefined : parseInt64(arg.toString('latin1'));
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * An int64 index as a JavaScript number. Beyond 2^53 an index is past any value's length
 * either way (values are far shorter), so clamping it keeps every answer Redis would give.
 */
export function clampedIndex(n: bigint): number {
  return Number(n > SAFE ? SAFE : n < -SAFE ? -SAFE : n);
}
