import { checkKey, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import { badAnswer } from './answers';
import { keyArg } from './checks';
import type { Command, ReadStore } from './command';

export type KeyType = 'string' | 'list';

/** TYPE: what a key holds, 'string' or 'list', or nil when it does not exist. */
export const type = {
  name: 'type',
  op: Op.TYPE,
  arity: [3, 3],
  route: 'read',
  summary: 'what KEY holds: string, list, or nil',
  toRead(msg: unknown[], limits: Limits): unknown[] {
    checkKey(msg[2], limits);
    return msg;
  },
  serve(store: ReadStore, msg: unknown[], now: number): unknown {
    const key = keyArg(msg[2]);
    if (store.typeOf !== undefined) return store.typeOf(key, now) ?? null;
    return store.has(key, now) ? 'string' : null;
  },
  methods: {
    /** What `key` holds: 'string' or 'list'; null when it does not exist. */
    type: {
      request(limits: Limits, [key]: [key: string]): unknown[] {
        checkKey(key, limits);
        return [Op.TYPE, 0, key];
      },
      decode(v: unknown): KeyType | null {
        if (v === null || v === 'string' || v === 'list') return v;
        throw badAnswer('TYPE', v);
      },
      retryable: true,
    },
  },
} as const satisfies Command;
