import { Op } from '../protocol/opcodes';
import { badAnswer } from './answers';
import type { Command } from './command';

/**
 * TIME: the router's clock (docs/DESIGN.md "The router's clock"), in milliseconds since 1970:
 * the time that stamps writes and reads, so what expiry is judged against. Answered by the
 * router.
 */
export const time = {
  name: 'time',
  op: Op.TIME,
  arity: [2, 2],
  route: 'router',
  summary: "the router's clock, in ms since 1970",
  methods: {
    /** The router's clock in milliseconds since 1970 (it never goes back). */
    time: {
      request: () => [Op.TIME, 0],
      decode(v: unknown): number {
        if (!Number.isSafeInteger(v) || (v as number) < 0) throw badAnswer('TIME', v);
        return v as number;
      },
      retryable: true,
    },
  },
} as const satisfies Command;
