import { Op } from '../protocol/opcodes';
import type { Command } from './command';

/**
 * PSUBSCRIBE: SUBSCRIBE for glob patterns (Redis's rules: *, ?, [a-z], [^a], \x); each
 * message arrives as [EVENT, streamId, 'pmessage', pattern, channel, bytes].
 */
export const psubscribe = {
  name: 'psubscribe',
  op: Op.PSUBSCRIBE,
  arity: [3, 3],
  route: 'router',
  summary: 'receive the messages published on channels matching PATTERN...',
  methods: {},
} as const satisfies Command;
