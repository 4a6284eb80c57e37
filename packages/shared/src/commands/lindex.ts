import { checkKey, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import { bufferOrNull, stringOrNull } from './answers';
import { keyArg } from './checks';
import type { Command, ReadStore } from './command';
import { indexArg, listStore } from './list-args';

function request(limits: Limits, [key, index]: [key: string, index: number]): unknown[] {
  checkKey(key, limits);
  return [Op.LINDEX, 0, key, indexArg(index, 'index')];
}

/** LINDEX: the value at an index of the list at a key (negative from the end), or nil. peek() is LINDEX 0. */
export const lindex = {
  name: 'lindex',
  op: Op.LINDEX,
  arity: [4, 4],
  route: 'read',
  summary: 'the value at INDEX of the queue (list) at KEY, or nil',
  toRead(msg: unknown[], limits: Limits): unknown[] {
    checkKey(msg[2], limits);
    indexArg(msg[3], 'LINDEX index');
    return msg;
  },
  serve(store: ReadStore, msg: unknown[], now: number): unknown {
    const i = indexArg(msg[3], 'index');
    return listStore(store).list(keyArg(msg[2]), i, i, now)[0] ?? null;
  },
  methods: {
    /** The value at `index` of the list at `key` (negative: from the end), or null. */
    lindex: { request, decode: stringOrNull, retryable: true },
    /** The value the next pop() of the queue at `key` would return, without removing it; null when empty. */
    peek: {
      request: (limits: Limits, [key]: [key: string]) => request(limits, [key, 0]),
      decode: stringOrNull,
      retryable: true,
    },
    /** peek() as bytes. */
    peekBuffer: {
      request: (limits: Limits, [key]: [key: string]) => request(limits, [key, 0]),
      decode: bufferOrNull,
      retryable: true,
    },
  },
} as const satisfies Command;
