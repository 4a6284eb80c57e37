import { Op } from '../protocol/opcodes';
import { KvndbError } from '../protocol/errors';
import { describe, type Limits } from '../protocol/limits';
import { bufferOrNull, list, stringOrNull } from './answers';
import { checkKeys, keyArg } from './checks';
import { Immediate, type Command, type ReadStore } from './command';

function request(limits: Limits, [keys]: [keys: string[]]): unknown[] | Immediate<never[]> {
  checkKeys(keys, 'mget', limits);
  if (keys.length === 0) return new Immediate([]);
  return [Op.MGET, 0, keys];
}

/** MGET: the values of several keys, nil where missing, in the order asked. */
export const mget = {
  name: 'mget',
  op: Op.MGET,
  arity: [3, 3],
  route: 'read',
  summary: 'the values of several keys, nil where missing',
  toRead(msg: unknown[], limits: Limits): unknown[] {
    checkKeys(msg[2], 'MGET', limits);
    return [Op.MGET, 0, msg[2]];
  },
  serve(store: ReadStore, msg: unknown[]): unknown {
    const keys = msg[2];
    if (!Array.isArray(keys)) throw KvndbError.badRequest(`MGET needs an array of keys, got ${describe(keys)}`);
    const values = new Array<Uint8Array | null>(keys.length);
    for (let i = 0; i < keys.length; i++) values[i] = store.get(keyArg(keys[i])) ?? null;
    return values;
  },
  methods: {
    /** Values as UTF-8 strings. */
    mget: { request, decode: (v: unknown) => list('MGET', v, stringOrNull), retryable: true },
    /** Values as bytes. */
    mgetBuffer: { request, decode: (v: unknown) => list('MGET', v, bufferOrNull), retryable: true },
  },
} as const satisfies Command;
