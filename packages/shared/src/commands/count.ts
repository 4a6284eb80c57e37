import { Op } from '../protocol/opcodes';
import { badAnswer } from './answers';
import type { Command, ReadStore } from './command';

/** What count() resolves with. */
export interface KeyCount {
  /** Keys stored, including expired ones not removed yet (Redis's DBSIZE counts those too). */
  keys: number;
  /** Of those, keys with an expiry. */
  expiring: number;
}

/**
 * COUNT: how many keys one in-sync replica holds and how many of them expire, as the store
 * keeps them (no paging through keys): DBSIZE and INFO's keyspace line.
 */
export const count = {
  name: 'count',
  op: Op.COUNT,
  arity: [2, 2],
  route: 'read',
  summary: 'the number of keys, and of keys with an expiry',
  toRead: (msg: unknown[]): unknown[] => msg,
  serve: (store: ReadStore): unknown => [store.count(), store.expiringCount?.() ?? 0],
  methods: {
    /** The number of keys and of keys with an expiry. */
    count: {
      request: () => [Op.COUNT, 0],
      decode(v: unknown): KeyCount {
        if (!Array.isArray(v) || !Number.isSafeInteger(v[0]) || !Number.isSafeInteger(v[1])) throw badAnswer('COUNT', v);
        return { keys: v[0] as number, expiring: v[1] as number };
      },
      retryable: true,
    },
  },
} as const satisfies Command;
