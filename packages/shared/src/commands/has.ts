import { Op } from '../protocol/opcodes';
import { checkKey, type Limits } from '../protocol/limits';
import { bool } from './answers';
import { keyArg } from './checks';
import type { Command, ReadStore } from './command';

/** HAS: whether a key exists. */
export const has = {
  name: 'has',
  op: Op.HAS,
  arity: [3, 3],
  route: 'read',
  summary: 'whether KEY exists',
  toRead(msg: unknown[], limits: Limits): unknown[] {
    checkKey(msg[2], limits);
    return msg;
  },
  serve: (store: ReadStore, msg: unknown[], now: number): unknown => store.has(keyArg(msg[2]), now),
  methods: {
    has: {
      request(limits: Limits, [key]: [key: string]): unknown[] {
        checkKey(key, limits);
        return [Op.HAS, 0, key];
      },
      decode: bool,
      retryable: true,
    },
  },
} as const satisfies Command;
