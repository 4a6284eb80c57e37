import { Op } from '../protocol/opcodes';
import { bool } from './answers';
import type { Command } from './command';

/**
 * UNSUBSCRIBE: ends the subscription stream opened by request `streamId` on this connection
 * (its channels or patterns); no event of it follows the answer. Answers whether it was open.
 */
export const unsubscribe = {
  name: 'unsubscribe',
  op: Op.UNSUBSCRIBE,
  arity: [3, 3],
  route: 'router',
  summary: 'end a subscription',
  methods: {},
} as const satisfies Command;

export function unsubscribeRequest(streamId: number): unknown[] {
  return [Op.UNSUBSCRIBE, 0, streamId];
}

export const decodeUnsubscribed = bool;
