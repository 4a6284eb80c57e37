import { Op } from '../protocol/opcodes';
import { checkKey, type Limits } from '../protocol/limits';
import { badAnswer } from './answers';
import { keyArg } from './checks';
import type { Command, ReadStore } from './command';

/**
 * TTL: milliseconds until a key expires, judged at the read's router time: -1 when it has
 * no expiry, -2 when it does not exist (Redis's PTTL convention).
 */
export const ttl = {
  name: 'ttl',
  op: Op.TTL,
  arity: [3, 3],
  route: 'read',
  summary: 'milliseconds until KEY expires (-1: never, -2: no such key)',
  toRead(msg: unknown[], limits: Limits): unknown[] {
    checkKey(msg[2], limits);
    return msg;
  },
  serve(store: ReadStore, msg: unknown[], now: number): unknown {
    const e = store.entry(keyArg(msg[2]), now);
    if (e === undefined) return -2;
    return e.expires === 0 ? -1 : e.expires - now;
  },
  methods: {
    /** Milliseconds until `key` expires; -1 when it never does, -2 when it does not exist. */
    ttl: {
      request(limits: Limits, [key]: [key: string]) {
        checkKey(key, limits);
        return [Op.TTL, 0, key];
      },
      decode(v: unknown): number {
        if (typeof v !== 'number') throw badAnswer('TTL', v);
        return v;
      },
      retryable: true,
    },
  },
} as const satisfies Command;
