import { KvndbError } from '../protocol/errors';
import { checkKey, describe, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import type { WriteOp } from '../protocol/types';
import { nothing } from './answers';
import { setOp, valueBytes, type Value } from './checks';
import { Answer, Immediate, type Command } from './command';

/** MSET: store several keys in one atomic write. */
export const mset = {
  name: 'mset',
  op: Op.MSET,
  arity: [3, 3],
  route: 'write',
  summary: 'store several keys in one atomic write',
  toWrite(msg: unknown[], limits: Limits): WriteOp[] {
    const pairs = msg[2];
    if (!Array.isArray(pairs)) throw KvndbError.badRequest(`MSET needs an array of [key, value] pairs, got ${describe(pairs)}`);
    if (pairs.length === 0) throw KvndbError.badRequest('MSET needs at least one [key, value] pair');
    const ops: WriteOp[] = new Array(pairs.length);
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i];
      if (!Array.isArray(pair) || pair.length !== 2) throw KvndbError.badRequest(`MSET pair ${i} must be [key, value]`);
      ops[i] = setOp(pair[0], pair[1], undefined, limits);
    }
    return ops;
  },
  answer: Answer.Nil,
  methods: {
    mset: {
      request(limits: Limits, [entries]: [entries: Record<string, Value> | Array<[string, Value]>]) {
        const list = Array.isArray(entries) ? entries : entries && typeof entries === 'object' ? Object.entries(entries) : null;
        if (list === null) throw KvndbError.badRequest(`mset entries must be an object or an array, got ${describe(entries)}`);
        if (list.length === 0) return new Immediate(undefined);
        const pairs: [string, Uint8Array][] = new Array(list.length);
        for (let i = 0; i < list.length; i++) {
          const entry = list[i];
          if (!Array.isArray(entry) || entry.length !== 2) throw KvndbError.badRequest(`mset entry ${i} must be a [key, value] pair`);
          checkKey(entry[0], limits);
          pairs[i] = [entry[0], valueBytes(entry[1], limits)];
        }
        return [Op.MSET, 0, pairs];
      },
      decode: nothing,
      retryable: false,
    },
  },
} as const satisfies Command;
