import { checkKey, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import { length } from './answers';
import { keyArg } from './checks';
import type { Command, ReadStore } from './command';
import { listStore } from './list-args';

/** LLEN: the length of the list (queue) at a key; 0 when there is none, WRONG_TYPE for a string. */
export const llen = {
  name: 'llen',
  op: Op.LLEN,
  arity: [3, 3],
  route: 'read',
  summary: 'the number of values in the queue (list) at KEY',
  toRead(msg: unknown[], limits: Limits): unknown[] {
    checkKey(msg[2], limits);
    return msg;
  },
  serve: (store: ReadStore, msg: unknown[], now: number): unknown => listStore(store).listLength(keyArg(msg[2]), now),
  methods: {
    /** The number of values in the queue (list) at `key`; 0 when there is none. */
    llen: {
      request(limits: Limits, [key]: [key: string]): unknown[] {
        checkKey(key, limits);
        return [Op.LLEN, 0, key];
      },
      decode: length('LLEN'),
      retryable: true,
    },
  },
} as const satisfies Command;
