import { checkKey, checkValue, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import type { WriteOp } from '../protocol/types';
import { nothing } from './answers';
import { valueBytes, type Value } from './checks';
import { Answer, type Command } from './command';
import { indexArg } from './list-args';

/** LSET: replace the value at an index of a list; NO_SUCH_KEY without a list, BAD_REQUEST outside it. */
export const lset = {
  name: 'lset',
  op: Op.LSET,
  arity: [5, 5],
  route: 'write',
  summary: 'replace the value at INDEX of the list at KEY',
  toWrite(msg: unknown[], limits: Limits): WriteOp[] {
    checkKey(msg[2], limits);
    checkValue(msg[4], limits);
    return [['ls', msg[2], indexArg(msg[3], 'LSET index'), msg[4]]];
  },
  answer: Answer.First,
  methods: {
    /** Replace the value at `index` (negative: from the end) of the list at `key`. */
    lset: {
      request(limits: Limits, [key, index, value]: [key: string, index: number, value: Value]): unknown[] {
        checkKey(key, limits);
        return [Op.LSET, 0, key, indexArg(index, 'index'), valueBytes(value, limits)];
      },
      decode: nothing,
      retryable: false,
    },
  },
} as const satisfies Command;
