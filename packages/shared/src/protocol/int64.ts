/**
 * Redis's integers (string2ll): a signed 64-bit number in decimal, with an optional minus
 * sign, no plus sign, no leading zeros and no spaces. One rule for counters and integer
 * arguments at the client, the RESP door and the replicas.
 */
export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;

const INTEGER = /^-?(0|[1-9][0-9]{0,19})$/;

/** The int64 written in `text`, or undefined when it is not one. */
export function parseInt64(text: string): bigint | undefined {
  if (text.length === 0 || text.length > 20 || !INTEGER.test(text)) return undefined;
  const n = BigInt(text);
  return inInt64(n) ? n : undefined;
}

export function inInt64(n: bigint): boolean {
  return n <= INT64_MAX && n >= INT64_MIN;
}
