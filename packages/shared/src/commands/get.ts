import { Op } from '../protocol/opcodes';
import { checkKey, type Limits } from '../protocol/limits';
import { bufferOrNull, stringOrNull } from './answers';
import { checkWaitMs, type WaitOptions } from './blocking';
import { keyArg } from './checks';
import type { Command, ReadStore } from './command';

function request(limits: Limits, [key, options]: [key: string, options?: Partial<WaitOptions>]): unknown[] {
  checkKey(key, limits);
  // A blocking get is GET_WAIT (commands/get-wait.ts), which the router arranges.
  if (options?.waitMs !== undefined) return [Op.GET_WAIT, 0, key, checkWaitMs(options.waitMs)];
  return [Op.GET, 0, key];
}

const waitMs = (args: [key: string, options?: Partial<WaitOptions>]): number | undefined => args[1]?.waitMs;

/** GET: the value stored at a key, or nil. */
export const get = {
  name: 'get',
  op: Op.GET,
  arity: [3, 3],
  route: 'read',
  summary: 'the value stored at KEY, or nil',
  toRead(msg: unknown[], limits: Limits): unknown[] {
    checkKey(msg[2], limits);
    // [GET, id, key] is already the replica-bound message: the link writes its own id.
    return msg;
  },
  serve(store: ReadStore, msg: unknown[], now: number): unknown {
    const key = keyArg(msg[2]);
    // Latin1Bytes from a store that keeps values so: the replica frames them without a copy.
    return store.getStored(key, now) ?? null;
  },
  methods: {
    /** The value as a UTF-8 string, or null; with { waitMs }, as soon as the key exists (null at the deadline). */
    get: { request, decode: stringOrNull, retryable: true, waitMs },
    /** The value as bytes, or null; with { waitMs }, as soon as the key exists (null at the deadline). */
    getBuffer: { request, decode: bufferOrNull, retryable: true, waitMs },
  },
} as const satisfies Command;
