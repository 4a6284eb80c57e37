import { KvndbError } from '../protocol/errors';
import { checkKey, checkValue, describe, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import type { WriteOp } from '../protocol/types';
import { length } from './answers';
import { valueBytes, type Value } from './checks';
import { Answer, type Command } from './command';
import { flagArg } from './list-args';

function message(limits: Limits, key: string, values: Value[], left: boolean): unknown[] {
  checkKey(key, limits);
  if (values.length === 0) throw KvndbError.badRequest('push needs at least one value');
  return [Op.PUSH, 0, key, values.map((v) => valueBytes(v, limits)), left, false];
}

/**
 * PUSH: add values to the list (queue) at a key, creating it: at the tail (RPUSH, what a
 * queue's push is) or the head (LPUSH, each value in turn, so the last ends up first). With
 * onlyIfList (LPUSHX/RPUSHX) nothing is created. A string at the key fails with WRONG_TYPE.
 */
export const push = {
  name: 'push',
  op: Op.PUSH,
  arity: [4, 6],
  route: 'write',
  summary: 'append VALUE... to the queue (list) at KEY; its new length',
  toWrite(msg: unknown[], limits: Limits): WriteOp[] {
    checkKey(msg[2], limits);
    const values = msg[3];
    if (!Array.isArray(values) || values.length === 0) throw KvndbError.badRequest(`PUSH needs a non-empty array of values, got ${describe(values)}`);
    for (const v of values) checkValue(v, limits);
    return [['L', msg[2], values as Uint8Array[], flagArg(msg[4], 'PUSH left'), flagArg(msg[5], 'PUSH onlyIfList')]];
  },
  answer: Answer.First,
  methods: {
    /** Append `values` to the tail of the queue at `key`, in order; resolves with its new length. */
    push: {
      request: (limits: Limits, [key, ...values]: [key: string, ...values: Value[]]) => message(limits, key, values, false),
      decode: length('PUSH'),
      retryable: false,
    },
    /** Put `values` at the head of the list at `key`, one by one (the last ends up first); its new length. */
    pushFront: {
      request: (limits: Limits, [key, ...values]: [key: string, ...values: Value[]]) => message(limits, key, values, true),
      decode: length('PUSH'),
      retryable: false,
    },
  },
} as const satisfies Command;
