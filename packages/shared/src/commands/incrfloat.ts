import { KvndbError } from '../protocol/errors';
import { checkKey, describe, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import type { WriteOp } from '../protocol/types';
import { badAnswer } from './answers';
import { Answer, type Command } from './command';

/** Redis's float syntax as strtold takes it, without hex, infinities or NaN (the replica's check is the same). */
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** An increment as the wire carries it: a decimal string of a finite number. Throws BAD_REQUEST otherwise. */
export function floatArg(v: unknown): string {
  let s: string;
  if (typeof v === 'number' && Number.isFinite(v)) s = String(v);
  else if (typeof v === 'string') s = v;
  else throw KvndbError.badRequest(`a float increment must be a finite number or its decimal text, got ${describe(v)}`);
  if (!FLOAT.test(s) || !Number.isFinite(Number(s))) throw KvndbError.badRequest(`a float increment must be a finite decimal number, got ${JSON.stringify(s)}`);
  return s;
}

/**
 * INCRFLOAT (Redis INCRBYFLOAT): add a decimal number to the value at a key (0 when absent),
 * computed by every replica at the write's position. The answer is the new value as the
 * replicas stored it (decimal text, never exponent notation), as Redis returns it; a value
 * that is not a number fails with NOT_A_NUMBER and changes nothing. The key keeps its expiry.
 */
export const incrfloat = {
  name: 'incrfloat',
  op: Op.INCRFLOAT,
  arity: [4, 4],
  route: 'write',
  summary: 'add a decimal number to the value at KEY; the new value as text',
  toWrite(msg: unknown[], limits: Limits): WriteOp[] {
    checkKey(msg[2], limits);
    return [['f', msg[2], floatArg(msg[3])]];
  },
  answer: Answer.First,
  methods: {
    /** Add `by` to the number at `key`; resolves with the new value as Redis writes it ("10.5"). */
    incrByFloat: {
      request(limits: Limits, [key, by]: [key: string, by: number | string]): unknown[] {
        checkKey(key, limits);
        return [Op.INCRFLOAT, 0, key, floatArg(by)];
      },
      decode(v: unknown): string {
        if (typeof v !== 'string') throw badAnswer('INCRFLOAT', v);
        return v;
      },
      retryable: false,
    },
  },
} as const satisfies Command;
