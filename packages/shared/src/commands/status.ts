import { Op } from '../protocol/opcodes';
import type { RouterStatus } from '../protocol/types';
import { object } from './answers';
import type { Command } from './command';

/** STATUS: the router's epoch, seq, replicas and rates, answered by the router. */
export const status = {
  name: 'status',
  op: Op.STATUS,
  arity: [2, 2],
  route: 'router',
  summary: "the router's status: epoch, seq, replicas, rates",
  methods: {
    status: { request: () => [Op.STATUS, 0], decode: (v: unknown) => object<RouterStatus>('STATUS', v), retryable: true },
  },
} as const satisfies Command;
