import { checkKey, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import type { WriteOp } from '../protocol/types';
import { nothing } from './answers';
import { Answer, type Command } from './command';
import { indexArg } from './list-args';

/** LTRIM: keep only the values start..stop (Redis indexes) of the list at a key; an empty result removes it. */
export const ltrim = {
  name: 'ltrim',
  op: Op.LTRIM,
  arity: [5, 5],
  route: 'write',
  summary: 'keep only the values START..STOP of the list at KEY',
  toWrite(msg: unknown[], limits: Limits): WriteOp[] {
    checkKey(msg[2], limits);
    return [['lt', msg[2], indexArg(msg[3], 'LTRIM start'), indexArg(msg[4], 'LTRIM stop')]];
  },
  answer: Answer.First,
  methods: {
    /** Keep only the values `start`..`stop` of the list at `key`. */
    ltrim: {
      request(limits: Limits, [key, start, stop]: [key: string, start: number, stop: number]): unknown[] {
        checkKey(key, limits);
        return [Op.LTRIM, 0, key, indexArg(start, 'start'), indexArg(stop, 'stop')];
      },
      decode: nothing,
      retryable: false,
    },
  },
} as const satisfies Command;
