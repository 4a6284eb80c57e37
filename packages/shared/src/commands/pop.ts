import { KvndbError } from '../protocol/errors';
import { checkKey, describe, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import type { WriteOp } from '../protocol/types';
import { badAnswer, bufferOrNull } from './answers';
import { Answer, type Command } from './command';
import { buffers, flagArg, strings } from './list-args';

export interface PopOptions {
  /**
   * Wait up to this many ms for a value when the queue is empty (0: answer at once;
   * Infinity: wait forever). Waiting pops are served in the order they arrived.
   */
  waitMs?: number;
  /** Which end to take from: 'head' (default: a queue's oldest value) or 'tail'. */
  end?: 'head' | 'tail';
}

/** The wire's waitMs: nil (no wait), ms, or -1 (forever). */
function waitArg(waitMs: number | undefined): number | null {
  if (waitMs === undefined || waitMs === 0) return null;
  if (waitMs === Infinity) return -1;
  if (!Number.isSafeInteger(waitMs) || waitMs < 0) throw KvndbError.badRequest(`waitMs must be a whole number of ms >= 0 or Infinity, got ${describe(waitMs)}`);
  return waitMs;
}

function message(limits: Limits, key: string, count: number | null, options: PopOptions | undefined): unknown[] {
  checkKey(key, limits);
  const end = options?.end ?? 'head';
  if (end !== 'head' && end !== 'tail') throw KvndbError.badRequest(`end must be 'head' or 'tail', got ${describe(end)}`);
  return [Op.POP, 0, [key], count, end === 'head', waitArg(options?.waitMs)];
}

function countArg(count: number): number {
  if (!Number.isSafeInteger(count) || count < 1) throw KvndbError.badRequest(`count must be a positive integer, got ${describe(count)}`);
  return count;
}

/** A POP request's waitMs (0: it does not wait, -1: forever). */
function waitMsOf(msg: unknown[]): number {
  const w = msg[5];
  if (w === null || w === undefined) return 0;
  if (!Number.isSafeInteger(w) || (w as number) < -1) throw KvndbError.badRequest(`POP waitMs must be ms >= 0, -1 (forever) or nil, got ${describe(w)}`);
  return w as number;
}

/** The values of a POP answer [key, values] (nil: none). */
function values(v: unknown): unknown[] | null {
  if (v === null || v === undefined) return null;
  if (!Array.isArray(v) || typeof v[0] !== 'string' || !Array.isArray(v[1])) throw badAnswer('POP', v);
  return v[1] as unknown[];
}

const waitOf = (options: PopOptions | undefined): number => {
  const w = options?.waitMs ?? 0;
  return w === Infinity ? -1 : w;
};

/**
 * POP: remove and return values from one end of the first of `keys` holding a list (LPOP,
 * RPOP; BLPOP, BRPOP when it waits). The removal is an ordered write, so every replica agrees
 * which popper got which value. A pop that waits is held by the router and sequenced once a
 * write to one of its keys may have given it a value (docs/ARCHITECTURE.md "Blocking pops");
 * one that times out, or whose client leaves before it is sequenced, removes nothing.
 */
export const pop = {
  name: 'pop',
  op: Op.POP,
  arity: [6, 6],
  route: 'write',
  summary: 'remove and return the oldest value of the queue at KEY (optionally waiting)',
  toWrite(msg: unknown[], limits: Limits): WriteOp[] {
    const keys = msg[2];
    if (!Array.isArray(keys) || keys.length === 0) throw KvndbError.badRequest(`POP needs a non-empty array of keys, got ${describe(keys)}`);
    for (const k of keys) checkKey(k, limits);
    const count = msg[3];
    if (count !== null && count !== undefined && !(Number.isSafeInteger(count) && (count as number) >= 0)) {
      throw KvndbError.badRequest(`POP count must be an integer >= 0 or nil, got ${describe(count)}`);
    }
    waitMsOf(msg);
    return [['P', keys as string[], (count as number | null | undefined) ?? null, flagArg(msg[4], 'POP left')]];
  },
  waitMs: waitMsOf,
  waitKeys: (msg: unknown[]): string[] => msg[2] as string[],
  // The pop's [key, values] or nil; WRONG_TYPE for a string at a key.
  answer: Answer.First,
  methods: {
    /** Remove and return the value at the head (or `end`) of the queue at `key`; null when it is empty (after waiting `waitMs`). */
    pop: {
      request: (limits: Limits, [key, options]: [key: string, options?: PopOptions]) => message(limits, key, null, options),
      decode(v: unknown): string | null {
        const vs = values(v);
        return vs === null ? null : strings('POP', vs)[0];
      },
      retryable: false,
      waitMs: ([, options]: [string, PopOptions?]) => waitOf(options),
    },
    /** pop() as bytes. */
    popBuffer: {
      request: (limits: Limits, [key, options]: [key: string, options?: PopOptions]) => message(limits, key, null, options),
      decode(v: unknown): Buffer | null {
        const vs = values(v);
        return vs === null ? null : bufferOrNull(vs[0]);
      },
      retryable: false,
      waitMs: ([, options]: [string, PopOptions?]) => waitOf(options),
    },
    /** Remove and return up to `count` values from the queue at `key`, oldest first; [] when it is empty (after waiting). */
    popMany: {
      request: (limits: Limits, [key, count, options]: [key: string, count: number, options?: PopOptions]) =>
        message(limits, key, countArg(count), options),
      decode: (v: unknown): string[] => strings('POP', values(v) ?? []),
      retryable: false,
      waitMs: ([, , options]: [string, number, PopOptions?]) => waitOf(options),
    },
    /** popMany() as bytes. */
    popManyBuffers: {
      request: (limits: Limits, [key, count, options]: [key: string, count: number, options?: PopOptions]) =>
        message(limits, key, countArg(count), options),
      decode: (v: unknown): Buffer[] => buffers('POP', values(v) ?? []),
      retryable: false,
      waitMs: ([, , options]: [string, number, PopOptions?]) => waitOf(options),
    },
  },
} as const satisfies Command;
