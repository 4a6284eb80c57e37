import { Op } from '../protocol/opcodes';
import { KvndbError } from '../protocol/errors';
import { checkKey, describe, type Limits } from '../protocol/limits';
import { badAnswer } from './answers';
import { keyArg } from './checks';
import type { Command, ReadStore } from './command';

/**
 * TTL: milliseconds until a key expires, judged at the read's router time: -1 when it has
 * no expiry, -2 when it does not exist (Redis's PTTL convention). With `absolute` true, the
 * expiry itself (ms since 1970 on the router's clock; Redis's PEXPIRETIME).
 */
export const ttl = {
  name: 'ttl',
  op: Op.TTL,
  arity: [3, 4],
  route: 'read',
  summary: 'milliseconds until KEY expires (-1: never, -2: no such key)',
  toRead(msg: unknown[], limits: Limits): unknown[] {
    checkKey(msg[2], limits);
    if (msg.length > 3 && typeof msg[3] !== 'boolean') throw KvndbError.badRequest(`TTL's absolute flag must be a boolean, got ${describe(msg[3])}`);
    return msg;
  },
  serve(store: ReadStore, msg: unknown[], now: number): unknown {
    const e = store.entry(keyArg(msg[2]), now);
    if (e === undefined) return -2;
    if (e.expires === 0) return -1;
    return msg[3] === true ? e.expires : e.expires - now;
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
    /** When `key` expires (ms since 1970 on the router's clock); -1 when it never does, -2 when it does not exist. */
    expireTime: {
      request(limits: Limits, [key]: [key: string]) {
        checkKey(key, limits);
        return [Op.TTL, 0, key, true];
      },
      decode(v: unknown): number {
        if (typeof v !== 'number') throw badAnswer('TTL', v);
        return v;
      },
      retryable: true,
    },
  },
} as const satisfies Command;
