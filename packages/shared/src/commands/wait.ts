import { Op } from '../protocol/opcodes';
import { type Limits } from '../protocol/limits';
import { badAnswer, bufferOrNull, stringOrNull } from './answers';
import { checkWaitMs, type WaitOptions } from './blocking';
import { checkKeys } from './checks';
import type { Command } from './command';
import { KvndbError } from '../protocol/errors';

/** A blocking wait's answer: the first of the keys that exists, with its value. */
export interface Waited<V> {
  key: string;
  value: V;
}

/** Keys one WAIT may name. */
export const MAX_WAIT_KEYS = 1000;

/** The keys and wait of a WAIT message [WAIT, id, keys[], waitMs]; throws BAD_REQUEST or TOO_LARGE. */
export function parseWait(msg: unknown[], limits: Limits): { keys: string[]; waitMs: number } {
  const keys = msg[2];
  checkKeys(keys, 'WAIT', limits);
  if (keys.length === 0) throw KvndbError.badRequest('WAIT needs at least one key');
  if (keys.length > MAX_WAIT_KEYS) throw KvndbError.badRequest(`WAIT names ${keys.length} keys; the limit is ${MAX_WAIT_KEYS}`);
  return { keys, waitMs: checkWaitMs(msg[3]) };
}

function request(limits: Limits, [keys, options]: [keys: string[], options: WaitOptions]): unknown[] {
  const msg = [Op.WAIT, 0, keys, options?.waitMs];
  parseWait(msg, limits);
  return msg;
}

function decodeWith<V>(value: (v: unknown) => V | null) {
  return (v: unknown): Waited<V> | null => {
    if (v === null || v === undefined) return null;
    if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || !(v[1] instanceof Uint8Array)) throw badAnswer('WAIT', v);
    return { key: v[0], value: value(v[1]) as V };
  };
}

const waitMsOf = (args: unknown[]): number => (args[1] as WaitOptions).waitMs;

/**
 * WAIT: the first of KEYS (in the order given) that exists, with its value, as soon as one
 * does; nil after waitMs. The router arranges it (changes/key-waiters.ts).
 */
export const wait = {
  name: 'wait',
  op: Op.WAIT,
  arity: [4, 4],
  route: 'router',
  summary: 'the first of KEYS that exists, with its value, as soon as one does (nil after WAITMS)',
  methods: {
    /** { key, value } as a UTF-8 string, or null at the deadline. */
    wait: { request, decode: decodeWith(stringOrNull), retryable: true, waitMs: waitMsOf },
    /** { key, value } as bytes, or null at the deadline. */
    waitBuffer: { request, decode: decodeWith(bufferOrNull), retryable: true, waitMs: waitMsOf },
  },
} as const satisfies Command;
