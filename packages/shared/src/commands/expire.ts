import { KvndbError } from '../protocol/errors';
import { checkKey, describe, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import { ExpireCond, type WriteOp } from '../protocol/types';
import { bool } from './answers';
import { Answer, type Command } from './command';

/** Redis's EXPIRE options: only when the key has no expiry (nx), has one (xx), or the new one is later (gt) / earlier (lt). */
export interface ExpireOptions {
  nx?: boolean;
  xx?: boolean;
  gt?: boolean;
  lt?: boolean;
}

function time(name: string, v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (!Number.isSafeInteger(v) || (v as number) <= 0) throw KvndbError.badRequest(`${name} must be a positive integer of milliseconds, got ${describe(v)}`);
  return v as number;
}

function condOf(options: ExpireOptions | undefined): ExpireCond {
  if (options === undefined || options === null) return ExpireCond.NONE;
  if (typeof options !== 'object') throw KvndbError.badRequest(`expire options must be an object, got ${describe(options)}`);
  const set = (['nx', 'xx', 'gt', 'lt'] as const).filter((k) => options[k]);
  // As Redis: xx goes with gt or lt; nx with nothing, gt not with lt.
  if (options.xx && set.length === 2 && (options.gt || options.lt)) return options.gt ? ExpireCond.GT : ExpireCond.XX_LT;
  if (set.length > 1) throw KvndbError.badRequest(`expire takes one of nx, xx, gt, lt (or xx with gt or lt), got ${set.join(' and ')}`);
  return set.length === 0 ? ExpireCond.NONE : ExpireCond[set[0].toUpperCase() as 'NX' | 'XX' | 'GT' | 'LT'];
}

/**
 * EXPIRE: give a key an expiry, relative (px, ms after the write's router time) or absolute
 * (at), or remove it (both nil: PERSIST). Whether it changed anything: false for a missing
 * key or a condition that did not hold. An expiry at or before the write's time deletes the
 * key, as Redis does.
 */
export const expire = {
  name: 'expire',
  op: Op.EXPIRE,
  arity: [6, 6],
  route: 'write',
  summary: 'set or remove the expiry of KEY',
  toWrite(msg: unknown[], limits: Limits): WriteOp[] {
    checkKey(msg[2], limits);
    const px = time('EXPIRE px', msg[3]);
    const at = time('EXPIRE at', msg[4]);
    if (px !== null && at !== null) throw KvndbError.badRequest('EXPIRE takes px or at, not both');
    const cond = msg[5];
    if (typeof cond !== 'number' || !Object.values(ExpireCond).includes(cond as ExpireCond)) {
      throw KvndbError.badRequest(`EXPIRE condition must be 0 to 5, got ${describe(cond)}`);
    }
    if (px === null && at === null && cond !== ExpireCond.NONE) throw KvndbError.badRequest('removing an expiry takes no condition');
    return [['e', msg[2], px, at, cond as ExpireCond]];
  },
  answer: Answer.First,
  methods: {
    /** Expire `key` `ttlMs` milliseconds from now; whether it did. */
    expire: {
      request(limits: Limits, [key, ttlMs, options]: [key: string, ttlMs: number, options?: ExpireOptions]) {
        checkKey(key, limits);
        if (time('ttlMs', ttlMs) === null) throw KvndbError.badRequest('ttlMs is required (use persist() to remove an expiry)');
        return [Op.EXPIRE, 0, key, ttlMs, null, condOf(options)];
      },
      decode: bool,
      retryable: false,
    },
    /** Expire `key` at `atMs` (ms since 1970 on the router's clock); whether it did. */
    expireAt: {
      request(limits: Limits, [key, atMs, options]: [key: string, atMs: number, options?: ExpireOptions]) {
        checkKey(key, limits);
        if (time('atMs', atMs) === null) throw KvndbError.badRequest('atMs is required (use persist() to remove an expiry)');
        return [Op.EXPIRE, 0, key, null, atMs, condOf(options)];
      },
      decode: bool,
      retryable: false,
    },
    /** Remove `key`'s expiry; whether it had one. */
    persist: {
      request(limits: Limits, [key]: [key: string]) {
        checkKey(key, limits);
        return [Op.EXPIRE, 0, key, null, null, ExpireCond.NONE];
      },
      decode: bool,
      retryable: false,
    },
  },
} as const satisfies Command;
