import { checkContentType } from '../protocol/content-type';
import { KvndbError } from '../protocol/errors';
import { checkKey, checkValue, describe, type Limits } from '../protocol/limits';
import type { SetFlags, WriteOp } from '../protocol/types';

/** Argument checks several commands share. Each throws BAD_REQUEST or TOO_LARGE for that request alone. */

export function checkKeys(keys: unknown, what: string, limits: Limits): asserts keys is string[] {
  if (!Array.isArray(keys)) throw KvndbError.badRequest(`${what} needs an array of keys, got ${describe(keys)}`);
  for (let i = 0; i < keys.length; i++) checkKey(keys[i], limits);
}

/** A string argument measured against the key limit (KEYS prefix and cursor). */
export function checkKeyLength(what: string, s: string, limits: Limits): void {
  if (s.length * 3 <= limits.maxKeyBytes) return;
  const bytes = Buffer.byteLength(s, 'utf8');
  if (bytes > limits.maxKeyBytes) {
    throw KvndbError.tooLarge(`${what} is ${bytes} bytes, the key limit is ${limits.maxKeyBytes}`, {
      size: bytes,
      limit: limits.maxKeyBytes,
    });
  }
}

const FLAG_NAMES = new Set(['nx', 'xx', 'get', 'ver', 'eq', 'px', 'at', 'keep', 'ct']);

/**
 * Normalised SET flags, or undefined when none is set: at most one condition (nx, xx, ver,
 * eq) and at most one expiry (px, at, keep).
 */
export function parseFlags(raw: unknown, limits?: Limits): SetFlags | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw) || raw instanceof Uint8Array) {
    throw KvndbError.badRequest(`SET flags must be a map or nil, got ${describe(raw)}`);
  }
  let flags: SetFlags | undefined;
  for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!FLAG_NAMES.has(name)) throw KvndbError.badRequest(`unknown SET flag ${JSON.stringify(name)} (expected nx, xx, get, ver, eq, px, at, keep, ct)`);
    if (v === null || v === undefined || v === false) continue;
    const f = (flags ??= {});
    switch (name) {
      case 'ver':
        if (!Number.isSafeInteger(v) || (v as number) < 0) throw KvndbError.badRequest(`SET flag ver must be a version (an integer >= 0), got ${describe(v)}`);
        f.ver = v as number;
        break;
      case 'px':
      case 'at':
        if (!Number.isSafeInteger(v) || (v as number) <= 0) {
          throw KvndbError.badRequest(`SET flag ${name} must be a positive integer of milliseconds, got ${describe(v)}`);
        }
        f[name] = v as number;
        break;
      case 'ct':
        f.ct = checkContentType(v);
        break;
      case 'eq':
        if (!(v instanceof Uint8Array)) throw KvndbError.badRequest(`SET flag eq must be bytes, got ${describe(v)}`);
        if (limits) checkValue(v, limits);
        f.eq = v;
        break;
      default:
        if (v !== true) throw KvndbError.badRequest(`SET flag ${name} must be a boolean, got ${describe(v)}`);
        f[name as 'nx' | 'xx' | 'get' | 'keep'] = true;
    }
  }
  if (flags) {
    const conditions = +!!flags.nx + +!!flags.xx + +(flags.ver !== undefined) + +(flags.eq !== undefined);
    if (conditions > 1) throw KvndbError.badRequest('SET takes one condition at most: nx, xx, ver or eq');
    const expiries = +(flags.px !== undefined) + +(flags.at !== undefined) + +!!flags.keep;
    if (expiries > 1) throw KvndbError.badRequest('SET takes one expiry at most: px, at or keep');
  }
  return flags;
}

/** A key as a replica receives it (the router checked its size): only its type is checked again. */
export function keyArg(v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw KvndbError.badRequest(`key must be a non-empty string, got ${describe(v)}`);
  return v;
}

/** A value to store: strings are stored as their UTF-8 bytes. */
export type Value = string | Uint8Array;

/** A client's value as the bytes it sends, checked against the limit. */
export function valueBytes(value: Value, limits: Limits): Uint8Array {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  checkValue(bytes, limits);
  return bytes;
}

/** A set inside SET, MSET or BATCH, checked. */
export function setOp(key: unknown, value: unknown, rawFlags: unknown, limits: Limits): WriteOp {
  checkKey(key, limits);
  checkValue(value, limits);
  const flags = parseFlags(rawFlags, limits);
  return flags ? ['s', key, value, flags] : ['s', key, value];
}
