import { KvndbError } from '../protocol/errors';
import { checkKey, describe, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import type { WriteOp } from '../protocol/types';
import { badAnswer, bool, writeResult } from './answers';
import { setOp, valueBytes, type Value } from './checks';
import { Answer, type Command } from './command';

export interface SetOptions {
  /** Only set when the key does not exist. */
  nx?: boolean;
  /** Only set when the key exists. */
  xx?: boolean;
  /** Return the previous value: use setGet() for this. */
  get?: boolean;
}

function message(limits: Limits, key: string, value: Value, options: SetOptions | undefined, get: boolean): unknown[] {
  checkKey(key, limits);
  const bytes = valueBytes(value, limits);
  let flags: { nx?: true; xx?: true; get?: true } | null = null;
  if (options !== undefined && options !== null) {
    if (typeof options !== 'object') throw KvndbError.badRequest(`set options must be an object, got ${describe(options)}`);
    if (options.nx && options.xx) throw KvndbError.badRequest('nx and xx cannot both be set');
    if (options.nx) flags = { nx: true };
    else if (options.xx) flags = { xx: true };
  }
  if (get) flags = flags ? { ...flags, get: true } : { get: true };
  return [Op.SET, 0, key, bytes, flags];
}

/** SET: store a value at a key, optionally only if it does (not) exist, optionally giving the previous value. */
export const set = {
  name: 'set',
  op: Op.SET,
  arity: [4, 5],
  route: 'write',
  summary: 'store VALUE at KEY',
  toWrite: (msg: unknown[], limits: Limits): WriteOp[] => [setOp(msg[2], msg[3], msg[4], limits)],
  answer: Answer.First,
  methods: {
    /** Store `value` at `key`; resolves true when applied (false when nx/xx prevented it). */
    set: {
      request(limits: Limits, [key, value, options]: [key: string, value: Value, options?: SetOptions]) {
        if (options?.get) throw KvndbError.badRequest('set() with {get: true}: use setGet() to read the previous value');
        return message(limits, key, value, options, false);
      },
      decode: bool,
      retryable: false,
    },
    /** Store `value` at `key` and resolve with the previous value (null when there was none). */
    setGet: {
      request: (limits: Limits, [key, value, options]: [key: string, value: Value, options?: Omit<SetOptions, 'get'>]) =>
        message(limits, key, value, options, true),
      decode(v: unknown): Buffer | null {
        const r = writeResult(v);
        if (!Array.isArray(r)) throw badAnswer('SET with get', v);
        return r[1] as Buffer | null;
      },
      retryable: false,
    },
  },
} as const satisfies Command;
