import { KvndbError } from '../protocol/errors';
import { checkKey, describe, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import { parseInt64 } from '../protocol/int64';
import type { WriteOp } from '../protocol/types';
import { badAnswer } from './answers';
import { Answer, type Command } from './command';


/** A delta as the wire carries it: a decimal int64 string. Throws BAD_REQUEST otherwise. */
export function deltaArg(v: unknown): string {
  let s: string;
  if (typeof v === 'bigint') s = v.toString();
  else if (typeof v === 'number' && Number.isSafeInteger(v)) s = String(v);
  else if (typeof v === 'string') s = v;
  else throw KvndbError.badRequest(`an increment must be an integer, got ${describe(v)}`);
  if (parseInt64(s) === undefined) throw KvndbError.badRequest(`an increment must be a 64-bit integer, got ${JSON.stringify(s)}`);
  return s;
}

function negate(delta: string): string {
  return (-BigInt(delta)).toString();
}

function message(limits: Limits, key: string, delta: string, safe: boolean): unknown[] {
  checkKey(key, limits);
  return safe ? [Op.INCR, 0, key, delta, true] : [Op.INCR, 0, key, delta];
}

/**
 * INCR: add an integer to the counter at a key (0 when absent), computed by every replica at
 * the write's position, so concurrent increments never lose one. The value is stored as its
 * decimal text, as Redis does; a value that is not an integer fails with NOT_A_NUMBER and a
 * result beyond 64 bits with OVERFLOW, changing nothing. With `safe` (what incr() sends) the
 * range is that of a JavaScript number (2^53 - 1), so the answer is always exact.
 */
export const incr = {
  name: 'incr',
  op: Op.INCR,
  arity: [4, 5],
  route: 'write',
  summary: 'add an integer to the counter at KEY; the new value',
  toWrite(msg: unknown[], limits: Limits): WriteOp[] {
    checkKey(msg[2], limits);
    const delta = deltaArg(msg[3]);
    if (msg[4] !== undefined && msg[4] !== null && typeof msg[4] !== 'boolean') {
      throw KvndbError.badRequest(`INCR's safe flag must be a boolean, got ${describe(msg[4])}`);
    }
    return [msg[4] ? ['i', msg[2], delta, true] : ['i', msg[2], delta]];
  },
  answer: Answer.First,
  methods: {
    /** Add `by` (default 1) to the counter at `key`; resolves with the new value. */
    incr: {
      request: (limits: Limits, [key, by = 1]: [key: string, by?: number]) => message(limits, key, deltaArg(by), true),
      decode: counter,
      retryable: false,
    },
    /** Subtract `by` (default 1) from the counter at `key`; resolves with the new value. */
    decr: {
      request: (limits: Limits, [key, by = 1]: [key: string, by?: number]) => message(limits, key, negate(deltaArg(by)), true),
      decode: counter,
      retryable: false,
    },
    /** incr() over the whole 64-bit range: resolves with a bigint. */
    incrBig: {
      request: (limits: Limits, [key, by = 1n]: [key: string, by?: bigint | number | string]) => message(limits, key, deltaArg(by), false),
      decode(v: unknown): bigint {
        if (typeof v === 'number' || typeof v === 'string') return BigInt(v);
        throw badAnswer('INCR', v);
      },
      retryable: false,
    },
  },
} as const satisfies Command;

function counter(v: unknown): number {
  if (typeof v !== 'number') throw badAnswer('INCR', v);
  return v;
}
