import { Op } from '../protocol/opcodes';
import { nothing } from './answers';
import type { Command } from './command';

/** PING: a round trip to the router. The router answers it; a replica answers its router's. */
export const ping = {
  name: 'ping',
  op: Op.PING,
  arity: [2, 2],
  route: 'router',
  summary: 'round trip to the router',
  // The router PINGs a quiet replica (heartbeat.ts); the replica answers it here.
  serve: () => 'PONG',
  methods: {
    ping: { request: () => [Op.PING, 0], decode: nothing, retryable: true },
  },
} as const satisfies Command;
