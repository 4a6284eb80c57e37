import { checkKey, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import { keyArg } from './checks';
import type { Command, ReadStore } from './command';
import { buffers, indexArg, listStore, strings } from './list-args';

function request(limits: Limits, [key, start = 0, stop = -1]: [key: string, start?: number, stop?: number]): unknown[] {
  checkKey(key, limits);
  return [Op.LRANGE, 0, key, indexArg(start, 'start'), indexArg(stop, 'stop')];
}

/** LRANGE: the values start..stop (inclusive; negative indexes count from the end) of the list at a key. */
export const lrange = {
  name: 'lrange',
  op: Op.LRANGE,
  arity: [5, 5],
  route: 'read',
  summary: 'the values START..STOP of the queue (list) at KEY',
  toRead(msg: unknown[], limits: Limits): unknown[] {
    checkKey(msg[2], limits);
    indexArg(msg[3], 'LRANGE start');
    indexArg(msg[4], 'LRANGE stop');
    return msg;
  },
  serve: (store: ReadStore, msg: unknown[], now: number): unknown =>
    listStore(store).list(keyArg(msg[2]), indexArg(msg[3], 'start'), indexArg(msg[4], 'stop'), now),
  methods: {
    /** The values `start`..`stop` (default: all) of the list at `key`, head first; [] when there is none. */
    lrange: { request, decode: (v: unknown) => strings('LRANGE', v), retryable: true },
    /** lrange() as bytes. */
    lrangeBuffers: { request, decode: (v: unknown) => buffers('LRANGE', v), retryable: true },
  },
} as const satisfies Command;
