import { checkKey, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import type { WriteOp } from '../protocol/types';
import { bufferOrNull, stringOrNull } from './answers';
import { Answer, type Command } from './command';

function request(limits: Limits, [key]: [key: string]): unknown[] {
  checkKey(key, limits);
  return [Op.GETDEL, 0, key];
}

/** GETDEL: remove a key and answer the value it held (nil when none), in one write. */
export const getdel = {
  name: 'getdel',
  op: Op.GETDEL,
  arity: [3, 3],
  route: 'write',
  summary: 'remove KEY and give the value it held, or nil',
  toWrite(msg: unknown[], limits: Limits): WriteOp[] {
    checkKey(msg[2], limits);
    return [['gd', msg[2]]];
  },
  answer: Answer.First,
  methods: {
    /** Remove `key`; resolves with the value it held as a UTF-8 string, or null. */
    getDel: { request, decode: stringOrNull, retryable: false },
    /** The same, the value as bytes. */
    getDelBuffer: { request, decode: bufferOrNull, retryable: false },
  },
} as const satisfies Command;
