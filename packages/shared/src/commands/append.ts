import { checkKey, checkValue, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import type { WriteOp } from '../protocol/types';
import { length } from './answers';
import { valueBytes, type Value } from './checks';
import { Answer, type Command } from './command';

/** What a replica says when a value would pass the limit (Redis's words for proto-max-bulk-len). */
export const STRING_TOO_LONG = 'string exceeds maximum allowed size (proto-max-bulk-len)';

/**
 * APPEND: add bytes to the end of the value at a key (creating it), computed by every
 * replica at the write's position; the answer is the new length. The key keeps its expiry.
 *
 * Only the replica knows the current length, so only it can tell whether the result would
 * pass the value limit, and a replica does not know the router's limits. The router
 * therefore writes its limit into the op (["a", key, bytes, maxValueBytes]): the op in the
 * write stream carries everything its result depends on, so every replica (and one
 * replaying the backlog later) refuses the same append, with TOO_LARGE, changing nothing.
 */
export const append = {
  name: 'append',
  op: Op.APPEND,
  arity: [4, 4],
  route: 'write',
  summary: 'append VALUE to the value at KEY; the new length',
  toWrite(msg: unknown[], limits: Limits): WriteOp[] {
    checkKey(msg[2], limits);
    checkValue(msg[3], limits);
    return [['a', msg[2], msg[3], limits.maxValueBytes]];
  },
  answer: Answer.First,
  methods: {
    /** Append `value` to the value at `key`; resolves with the new length in bytes. */
    append: {
      request(limits: Limits, [key, value]: [key: string, value: Value]): unknown[] {
        checkKey(key, limits);
        return [Op.APPEND, 0, key, valueBytes(value, limits)];
      },
      decode: length('APPEND'),
      retryable: false,
    },
  },
} as const satisfies Command;
