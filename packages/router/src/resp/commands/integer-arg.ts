/** Integer arguments as Redis reads them (string2ll), for the string and counter commands. */

/** Redis's word for an argument that is not an int64. */
export const NOT_AN_INTEGER = 'ERR value is not an integer or out of range';

const INTEGER = /^-?(0|[1-9][0-9]{0,18})$/;
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/**
 * The int64 in `arg` (decimal, no plus sign, no leading zeros or spaces), or undefined when it
 * is not one. A plain Error with Redis's words would be answered `-ERR ...` by the session;
 * callers answer undefined themselves so each can choose its reply.
 */
export function int64(arg: Buffer): bigint | undefined {
  if (arg.length === 0 || arg.length > 20) return undefined;
  const s = arg.toString('latin1');
  if (!INTEGER.test(s)) return undefined;
  const n = BigInt(s);
  return n > INT64_MAX || n < INT64_MIN ? undefined : n;
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * An int64 index as a JavaScript number. Beyond 2^53 an index is past any value's length
 * either way (values are far shorter), so clamping it keeps every answer Redis would give.
 */
export function clampedIndex(n: bigint): number {
  return Number(n > SAFE ? SAFE : n < -SAFE ? -SAFE : n);
}
