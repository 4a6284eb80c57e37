import { checkKey, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import type { WriteOp } from '../protocol/types';
import { bool } from './answers';
import { Answer, type Command } from './command';

/** DEL: delete a key; the answer says whether it existed. */
export const del = {
  name: 'del',
  op: Op.DEL,
  arity: [3, 3],
  route: 'write',
  summary: 'delete KEY; whether it existed',
  toWrite(msg: unknown[], limits: Limits): WriteOp[] {
    const key = msg[2];
    checkKey(key, limits);
    return [['d', key]];
  },
  answer: Answer.First,
  methods: {
    del: {
      request(limits: Limits, [key]: [key: string]) {
        checkKey(key, limits);
        return [Op.DEL, 0, key];
      },
      decode: bool,
      retryable: false,
    },
  },
} as const satisfies Command;
