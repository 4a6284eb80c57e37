import { KvndbError } from '../protocol/errors';
import { checkKey, checkValue, describe, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import type { WriteOp } from '../protocol/types';
import { length } from './answers';
import { STRING_TOO_LONG } from './append';
import { valueBytes, type Value } from './checks';
import { Answer, type Command } from './command';

function offsetArg(v: unknown): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw KvndbError.badRequest(`SETRANGE offset must be an integer >= 0, got ${describe(v)}`);
  return v as number;
}

/**
 * The value SETRANGE leaves is at least offset + length bytes long, whatever the key holds,
 * so the router refuses one that would pass the value limit (Redis refuses past
 * proto-max-bulk-len the same way). An empty write changes nothing and is never refused.
 */
function checkRange(offset: number, bytes: Uint8Array, limits: Limits): void {
  if (bytes.length === 0 || offset + bytes.length <= limits.maxValueBytes) return;
  throw KvndbError.tooLarge(`${STRING_TOO_LONG}: offset ${offset} + ${bytes.length} bytes passes the value limit of ${limits.maxValueBytes} bytes`, {
    size: offset + bytes.length,
    limit: limits.maxValueBytes,
  });
}

/**
 * SETRANGE: overwrite the value at a key from byte `offset` with bytes, padding with zero
 * bytes where the value is shorter (creating the key); the answer is the new length. An
 * empty value writes nothing and answers the current length. The key keeps its expiry.
 */
export const setrange = {
  name: 'setrange',
  op: Op.SETRANGE,
  arity: [5, 5],
  route: 'write',
  summary: 'overwrite the value at KEY from byte OFFSET; the new length',
  toWrite(msg: unknown[], limits: Limits): WriteOp[] {
    checkKey(msg[2], limits);
    const offset = offsetArg(msg[3]);
    checkValue(msg[4], limits);
    checkRange(offset, msg[4], limits);
    return [['r', msg[2], offset, msg[4]]];
  },
  answer: Answer.First,
  methods: {
    /** Write `value` into the value at `key` from byte `offset`; resolves with the new length. */
    setRange: {
      request(limits: Limits, [key, offset, value]: [key: string, offset: number, value: Value]): unknown[] {
        checkKey(key, limits);
        const bytes = valueBytes(value, limits);
        checkRange(offsetArg(offset), bytes, limits);
        return [Op.SETRANGE, 0, key, offset, bytes];
      },
      decode: length('SETRANGE'),
      retryable: false,
    },
  },
} as const satisfies Command;
