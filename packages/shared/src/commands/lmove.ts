import { KvndbError } from '../protocol/errors';
import { checkKey, describe, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import type { WriteOp } from '../protocol/types';
import { stringOrNull } from './answers';
import { Answer, type Command } from './command';
import { flagArg } from './list-args';

type End = 'head' | 'tail';

function endArg(end: End, what: string): boolean {
  if (end !== 'head' && end !== 'tail') throw KvndbError.badRequest(`${what} must be 'head' or 'tail', got ${describe(end)}`);
  return end === 'head';
}

/**
 * LMOVE: pop a value from one end of a list and push it onto an end of another (or the same)
 * in one write: the reliable-queue pattern, where a worker moves a job to its own
 * "processing" list and removes it (LREM) once done.
 */
export const lmove = {
  name: 'lmove',
  op: Op.LMOVE,
  arity: [6, 6],
  route: 'write',
  summary: 'move a value from one end of the list at FROM to an end of the list at TO',
  toWrite(msg: unknown[], limits: Limits): WriteOp[] {
    checkKey(msg[2], limits);
    checkKey(msg[3], limits);
    return [['lm', msg[2], msg[3], flagArg(msg[4], 'LMOVE fromLeft'), flagArg(msg[5], 'LMOVE toLeft')]];
  },
  answer: Answer.First,
  methods: {
    /** Move the value at `fromEnd` of the list at `from` to `toEnd` of the list at `to`; resolves with it, or null when `from` is empty. */
    lmove: {
      request(limits: Limits, [from, to, fromEnd = 'head', toEnd = 'tail']: [from: string, to: string, fromEnd?: End, toEnd?: End]): unknown[] {
        checkKey(from, limits);
        checkKey(to, limits);
        return [Op.LMOVE, 0, from, to, endArg(fromEnd, 'fromEnd'), endArg(toEnd, 'toEnd')];
      },
      decode: stringOrNull,
      retryable: false,
    },
  },
} as const satisfies Command;
