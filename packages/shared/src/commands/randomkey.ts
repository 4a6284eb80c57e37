import { Op } from '../protocol/opcodes';
import { stringOrNull } from './answers';
import type { Command, ReadStore } from './command';

/**
 * RANDOMKEY: a live key chosen at random by the replica that serves the read, or nil when
 * there is none. A read: two replicas may pick different keys, which is fine, as no one
 * relies on which key comes back.
 */
export const randomkey = {
  name: 'randomkey',
  op: Op.RANDOMKEY,
  arity: [2, 2],
  route: 'read',
  summary: 'a key chosen at random, or nil',
  toRead: (msg: unknown[]): unknown[] => msg,
  serve: (store: ReadStore, _msg: unknown[], now: number): unknown => store.randomKey(now) ?? null,
  methods: {
    /** A key chosen at random, or null when there are none. */
    randomKey: {
      request: () => [Op.RANDOMKEY, 0],
      decode(v: unknown): string | null {
        if (typeof v === 'string' || v === null || v === undefined) return v ?? null;
        return stringOrNull(v);
      },
      retryable: true,
    },
  },
} as const satisfies Command;
