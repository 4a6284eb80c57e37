import { Op } from '../protocol/opcodes';
import type { WriteOp } from '../protocol/types';
import { nothing } from './answers';
import { Answer, type Command } from './command';

/**
 * FLUSH: remove every key (Redis FLUSHALL / FLUSHDB). One op in the write stream, so every
 * replica empties at the same position: writes sequenced after it apply to the empty store.
 */
export const flush = {
  name: 'flush',
  op: Op.FLUSH,
  arity: [2, 2],
  route: 'write',
  summary: 'remove every key',
  toWrite: (): WriteOp[] => [['F']],
  answer: Answer.Nil,
  methods: {
    /** Remove every key. */
    flush: { request: () => [Op.FLUSH, 0], decode: nothing, retryable: false },
  },
} as const satisfies Command;
