import { checkKey, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import { length } from './answers';
import { keyArg } from './checks';
import type { Command, ReadStore } from './command';

/** STRLEN: the length in bytes of the value at a key; 0 when there is none, as in Redis. */
export const strlen = {
  name: 'strlen',
  op: Op.STRLEN,
  arity: [3, 3],
  route: 'read',
  summary: 'the length in bytes of the value at KEY (0: none)',
  toRead(msg: unknown[], limits: Limits): unknown[] {
    checkKey(msg[2], limits);
    return msg;
  },
  // getStored: a Latin-1 string holds one character per byte, so its length is the byte length, with no copy.
  serve: (store: ReadStore, msg: unknown[], now: number): unknown => store.getStored(keyArg(msg[2]), now)?.length ?? 0,
  methods: {
    /** The length in bytes of the value at `key`; 0 when the key does not exist. */
    strlen: {
      request(limits: Limits, [key]: [key: string]): unknown[] {
        checkKey(key, limits);
        return [Op.STRLEN, 0, key];
      },
      decode: length('STRLEN'),
      retryable: true,
    },
  },
} as const satisfies Command;
