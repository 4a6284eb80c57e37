import { checkKey, checkValue, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import type { WriteOp } from '../protocol/types';
import { length } from './answers';
import { valueBytes, type Value } from './checks';
import { Answer, type Command } from './command';
import { indexArg } from './list-args';

/** LREM: remove values equal to one from a list: the first `count` (>0), the last -count (<0), or all (0). */
export const lrem = {
  name: 'lrem',
  op: Op.LREM,
  arity: [5, 5],
  route: 'write',
  summary: 'remove COUNT values equal to VALUE from the list at KEY (0: all); how many',
  toWrite(msg: unknown[], limits: Limits): WriteOp[] {
    checkKey(msg[2], limits);
    checkValue(msg[4], limits);
    return [['lr', msg[2], indexArg(msg[3], 'LREM count'), msg[4]]];
  },
  answer: Answer.First,
  methods: {
    /** Remove values equal to `value` from the list at `key` (count > 0 from the head, < 0 from the tail, 0 all); resolves with how many. */
    lrem: {
      request(limits: Limits, [key, count, value]: [key: string, count: number, value: Value]): unknown[] {
        checkKey(key, limits);
        return [Op.LREM, 0, key, indexArg(count, 'count'), valueBytes(value, limits)];
      },
      decode: length('LREM'),
      retryable: false,
    },
  },
} as const satisfies Command;
