/**
 * Redis's time arguments for SET, SETEX, PSETEX, GETEX and the EXPIRE family, as the native
 * wire takes them: relative milliseconds (px) or an absolute router time (at). A bad
 * argument throws a plain Error, which the session answers `-ERR <message>` as Redis words it.
 */

import { int64 } from './integer-arg';

export const NOT_INTEGER = 'value is not an integer or out of range';

/** An integer argument, or throws Redis's "not an integer" error. Safe integers only: kvndb times are JavaScript numbers. */
export function integerArg(arg: Buffer): number {
  const n = int64(arg);
  if (n === undefined) throw new Error(NOT_INTEGER);
  // Between 2^53 and 2^63 the value cannot be kept exactly as a number, and every such time
  // is refused below as invalid anyway.
  return Number(n);
}

export function invalidExpire(command: string): Error {
  return new Error(`invalid expire time in '${command}' command`);
}

/** The unit and base of an expiry option: EX/PX are relative, EXAT/PXAT absolute. */
export type ExpiryUnit = 'ex' | 'px' | 'exat' | 'pxat';

/**
 * A SET/SETEX/GETEX expiry as native flags: {px} or {at}. Redis refuses zero and negative
 * times here (unlike EXPIRE). kvndb times must stay exact JavaScript integers, so the bound
 * is 2^53 - 1 ms (year 287396) where Redis's is 2^63 - 1: past it is "invalid expire time".
 */
export function positiveExpiry(unit: ExpiryUnit, arg: Buffer, command: string): { px: number } | { at: number } {
  const n = integerArg(arg);
  if (n <= 0) throw invalidExpire(command);
  const ms = unit === 'ex' || unit === 'exat' ? n * 1000 : n;
  const relative = unit === 'ex' || unit === 'px';
  if (!Number.isSafeInteger(relative ? ms + Date.now() : ms)) throw invalidExpire(command);
  return relative ? { px: ms } : { at: ms };
}

/**
 * An EXPIRE-family time as the native expire op's [px, at]. Zero and negative times are
 * allowed (they delete the key): an absolute time of 1, which every write's time passes,
 * behaves the same for NX/XX/GT/LT since any live key's expiry is later.
 */
export function expireTime(relative: boolean, seconds: boolean, arg: Buffer, command: string): [number | null, number | null] {
  const n = integerArg(arg);
  const ms = seconds ? n * 1000 : n;
  if (!Number.isSafeInteger(relative ? ms + Date.now() : ms)) throw invalidExpire(command);
  if (relative) return ms > 0 ? [ms, null] : [null, 1];
  return [null, ms > 0 ? ms : 1];
}
