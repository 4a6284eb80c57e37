import { KvndbError } from '../protocol/errors';
import { checkKey, describe, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import { bufferOrNull, stringOrNull } from './answers';
import { keyArg } from './checks';
import type { Command, ReadStore } from './command';

function indexArg(name: string, v: unknown): number {
  if (!Number.isSafeInteger(v)) throw KvndbError.badRequest(`GETRANGE ${name} must be an integer, got ${describe(v)}`);
  return v as number;
}

/**
 * The byte range [from, to) of a value `len` bytes long that GETRANGE start..end (both
 * inclusive) gives, by Redis's rules (getrangeCommand): negative indexes count from the end,
 * both are then clamped into the value, and an empty range (start after end, both negative
 * with start > end, or an empty value) gives nothing.
 */
export function byteRange(len: number, start: number, end: number): [number, number] {
  if (start < 0 && end < 0 && start > end) return [0, 0];
  if (start < 0) start = Math.max(len + start, 0);
  if (end < 0) end = Math.max(len + end, 0);
  if (end >= len) end = len - 1;
  if (len === 0 || start > end) return [0, 0];
  return [start, end + 1];
}

function request(limits: Limits, [key, start, end]: [key: string, start: number, end: number]): unknown[] {
  checkKey(key, limits);
  return [Op.GETRANGE, 0, key, indexArg('start', start), indexArg('end', end)];
}

/**
 * GETRANGE: the bytes start..end (inclusive, negative from the end) of the value at a key;
 * empty, not nil, when the key does not exist, as in Redis.
 */
export const getrange = {
  name: 'getrange',
  op: Op.GETRANGE,
  arity: [5, 5],
  route: 'read',
  summary: 'bytes START..END (inclusive; negative from the end) of the value at KEY',
  toRead(msg: unknown[], limits: Limits): unknown[] {
    checkKey(msg[2], limits);
    indexArg('start', msg[3]);
    indexArg('end', msg[4]);
    return msg;
  },
  serve(store: ReadStore, msg: unknown[], now: number): unknown {
    const value = store.get(keyArg(msg[2]), now);
    if (value === undefined) return Buffer.alloc(0);
    const [from, to] = byteRange(value.length, indexArg('start', msg[3]), indexArg('end', msg[4]));
    return value.subarray(from, to);
  },
  methods: {
    /** Bytes `start`..`end` of the value at `key` as a UTF-8 string ('' when none). */
    getRange: { request, decode: (v: unknown): string => stringOrNull(v) ?? '', retryable: true },
    /** The same as bytes. */
    getRangeBuffer: { request, decode: (v: unknown): Buffer => bufferOrNull(v) ?? Buffer.alloc(0), retryable: true },
  },
} as const satisfies Command;
