import { KvndbError } from '../protocol/errors';
import { checkKey, describe, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import type { WriteOp } from '../protocol/types';
import { bufferOrNull, stringOrNull } from './answers';
import { Answer, type Command } from './command';

/** What getEx() changes: a new expiry (one of ttlMs, expireAt) or none (persist). */
export interface GetExOptions {
  /** Expire this many milliseconds after the write. */
  ttlMs?: number;
  /** Expire at this time (ms since 1970 on the router's clock). */
  expireAt?: number;
  /** Remove the key's expiry. */
  persist?: boolean;
}

function time(name: string, v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (!Number.isSafeInteger(v) || (v as number) <= 0) throw KvndbError.badRequest(`${name} must be a positive integer of milliseconds, got ${describe(v)}`);
  return v as number;
}

/** The request for getEx(key, options); without an option it is a plain GET (a read, as Redis's GETEX without options). */
function request(limits: Limits, [key, options]: [key: string, options?: GetExOptions]): unknown[] {
  checkKey(key, limits);
  if (options === undefined || options === null) return [Op.GET, 0, key];
  if (typeof options !== 'object') throw KvndbError.badRequest(`getEx options must be an object, got ${describe(options)}`);
  const px = time('ttlMs', options.ttlMs);
  const at = time('expireAt', options.expireAt);
  const persist = options.persist === true;
  if (+(px !== null) + +(at !== null) + +persist > 1) throw KvndbError.badRequest('getEx takes one of ttlMs, expireAt, persist');
  if (px === null && at === null && !persist) return [Op.GET, 0, key];
  return [Op.GETEX, 0, key, px, at, persist];
}

/**
 * GETEX: a key's value, changing its expiry in the same write (relative px, absolute at, or
 * persist). nil for a missing key, which it does not create. An expiry at or before the
 * write's time deletes the key after reading it, as Redis does.
 */
export const getex = {
  name: 'getex',
  op: Op.GETEX,
  arity: [6, 6],
  route: 'write',
  summary: "the value of KEY, setting or removing its expiry",
  toWrite(msg: unknown[], limits: Limits): WriteOp[] {
    checkKey(msg[2], limits);
    const px = time('GETEX px', msg[3]);
    const at = time('GETEX at', msg[4]);
    if (typeof msg[5] !== 'boolean') throw KvndbError.badRequest(`GETEX persist must be a boolean, got ${describe(msg[5])}`);
    if (+(px !== null) + +(at !== null) + +msg[5] !== 1) throw KvndbError.badRequest('GETEX takes exactly one of px, at, persist');
    return [['gx', msg[2], px, at, msg[5]]];
  },
  answer: Answer.First,
  methods: {
    /** The value as a UTF-8 string (null: no such key), changing its expiry as `options` say. */
    getEx: { request, decode: stringOrNull, retryable: false },
    /** The same, the value as bytes. */
    getExBuffer: { request, decode: bufferOrNull, retryable: false },
  },
} as const satisfies Command;
