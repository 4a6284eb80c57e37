import { KvndbError } from '../protocol/errors';
import { checkKey, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import type { WriteOp } from '../protocol/types';
import { badAnswer, bool, writeResult } from './answers';
import { setOp, valueBytes, type Value } from './checks';
import { Answer, type Command } from './command';
import { setFlags, type SetOptions } from './set-options';

export type { SetOptions } from './set-options';

function message(op: number, limits: Limits, key: string, value: Value, options: SetOptions | undefined, get: boolean): unknown[] {
  checkKey(key, limits);
  const bytes = valueBytes(value, limits);
  return [op, 0, key, bytes, setFlags(options, limits, get)];
}

/** SET: store a value at a key, optionally on a condition, with an expiry, giving the previous value. */
export const set = {
  name: 'set',
  op: Op.SET,
  arity: [4, 5],
  route: 'write',
  summary: 'store VALUE at KEY',
  toWrite: (msg: unknown[], limits: Limits): WriteOp[] => [setOp(msg[2], msg[3], msg[4], limits)],
  answer: Answer.First,
  methods: {
    /** Store `value` at `key`; resolves true when applied (false when a condition prevented it). */
    set: {
      request(limits: Limits, [key, value, options]: [key: string, value: Value, options?: SetOptions]) {
        if (options?.get) throw KvndbError.badRequest('set() with {get: true}: use setGet() to read the previous value');
        return message(Op.SET, limits, key, value, options, false);
      },
      decode: bool,
      retryable: false,
    },
    /** Store `value` at `key` and resolve with the previous value (null when there was none). */
    setGet: {
      request: (limits: Limits, [key, value, options]: [key: string, value: Value, options?: Omit<SetOptions, 'get'>]) =>
        message(Op.SET, limits, key, value, options, true),
      decode(v: unknown): Buffer | null {
        const r = writeResult(v);
        if (!Array.isArray(r)) throw badAnswer('SET with get', v);
        return r[1] as Buffer | null;
      },
      retryable: false,
    },
  },
} as const satisfies Command;

/** What put() resolves with. */
export interface PutResult {
  /** Whether the value was stored (false: a condition did not hold). */
  applied: boolean;
  /** The version the write gave the key when applied (the write's seq); 0 when not applied. */
  version: number;
}

/** PUT: SET answering with the version it gave the key, for compare-and-set loops. */
export const put = {
  name: 'put',
  op: Op.PUT,
  arity: [4, 5],
  route: 'write',
  summary: 'store VALUE at KEY; whether applied, and the new version',
  toWrite: (msg: unknown[], limits: Limits): WriteOp[] => {
    const op = setOp(msg[2], msg[3], msg[4], limits);
    if (op.length > 3 && (op[3] as { get?: boolean }).get) throw KvndbError.badRequest('PUT takes no get flag (use SET with get)');
    return [op];
  },
  answer: Answer.Versioned,
  methods: {
    /** Store `value` at `key` on the options' condition: { applied, version }. */
    put: {
      request(limits: Limits, [key, value, options]: [key: string, value: Value, options?: Omit<SetOptions, 'get'>]) {
        if ((options as SetOptions | undefined)?.get) throw KvndbError.badRequest('put() takes no get option (use setGet())');
        return message(Op.PUT, limits, key, value, options, false);
      },
      decode(v: unknown): PutResult {
        if (!Array.isArray(v) || typeof v[0] !== 'boolean' || typeof v[1] !== 'number') throw badAnswer('PUT', v);
        // Not applied: nothing got a version.
        return { applied: v[0], version: v[0] ? v[1] : 0 };
      },
      retryable: false,
    },
  },
} as const satisfies Command;
