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

const FLAG_NAMES = new Set(['nx', 'xx', 'get']);

/** Normalised SET flags, or undefined when none is set. */
export function parseFlags(raw: unknown): SetFlags | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw) || raw instanceof Uint8Array) {
    throw KvndbError.badRequest(`SET flags must be a map or nil, got ${describe(raw)}`);
  }
  let flags: SetFlags | undefined;
  for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!FLAG_NAMES.has(name)) throw KvndbError.badRequest(`unknown SET flag ${JSON.stringify(name)} (expected nx, xx, get)`);
    if (v === null || v === undefined || v === false) continue;
    if (v !== true) throw KvndbError.badRequest(`SET flag ${name} must be a boolean, got ${describe(v)}`);
    (flags ??= {})[name as keyof SetFlags] = true;
  }
  if (flags?.nx && flags.xx) throw KvndbError.badRequest('SET flags nx and xx cannot be combined');
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
  const flags = parseFlags(rawFlags);
  return flags ? ['s', key, value, flags] : ['s', key, value];
}
