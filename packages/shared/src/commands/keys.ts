import { KvndbError } from '../protocol/errors';
import { DEFAULT_KEYS_LIMIT, MAX_KEYS_LIMIT, describe, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import type { KeysPage } from '../protocol/types';
import { badAnswer } from './answers';
import { checkKeyLength } from './checks';
import type { Command, ReadStore } from './command';

/**
 * The one rule for KEYS arguments, at the client, the router and the replica alike: a
 * string prefix, a limit from 1 to MAX_KEYS_LIMIT (nil: the default), a string cursor or nil.
 */
function checkArgs(prefix: unknown, limit: unknown, cursor: unknown, limits: Limits | null): [string, number, string | null] {
  const p = prefix ?? '';
  if (typeof p !== 'string') throw KvndbError.badRequest(`KEYS prefix must be a string, got ${describe(p)}`);
  const l = limit ?? DEFAULT_KEYS_LIMIT;
  if (typeof l !== 'number' || !Number.isInteger(l) || l < 1 || l > MAX_KEYS_LIMIT) {
    throw KvndbError.badRequest(`KEYS limit must be an integer from 1 to ${MAX_KEYS_LIMIT}, got ${typeof l === 'number' ? String(l) : describe(l)}`);
  }
  const c = cursor === '' ? null : (cursor ?? null);
  if (c !== null && typeof c !== 'string') throw KvndbError.badRequest(`KEYS cursor must be a string or nil, got ${describe(c)}`);
  if (limits) {
    checkKeyLength('KEYS prefix', p, limits);
    if (c !== null) checkKeyLength('KEYS cursor', c, limits);
  }
  return [p, l, c];
}

/** KEYS: one page of keys starting with a prefix, in code point order, after a cursor. */
export const keys = {
  name: 'keys',
  op: Op.KEYS,
  arity: [3, 5],
  route: 'read',
  summary: 'one page of the keys starting with PREFIX, and the cursor of the next',
  toRead(msg: unknown[], limits: Limits): unknown[] {
    return [Op.KEYS, 0, ...checkArgs(msg[2], msg[3], msg[4], limits)];
  },
  serve(store: ReadStore, msg: unknown[], now: number): unknown {
    const [prefix, limit, cursor] = checkArgs(msg[2], msg[3], msg[4], null);
    const page = store.scan(prefix, cursor, limit, now);
    return [page, page.length === limit ? page[page.length - 1] : null];
  },
  methods: {
    /** One page of keys starting with `prefix`, in code point order, after `cursor`. */
    keys: {
      request(limits: Limits, [prefix = '', options]: [prefix?: string, options?: { limit?: number; cursor?: string | null }]) {
        if (options !== undefined && (options === null || typeof options !== 'object')) {
          throw KvndbError.badRequest(`keys options must be an object, got ${describe(options)}`);
        }
        return [Op.KEYS, 0, ...checkArgs(prefix, options?.limit, options?.cursor, limits)];
      },
      decode(v: unknown): KeysPage {
        if (!Array.isArray(v) || !Array.isArray(v[0]) || !v[0].every((k) => typeof k === 'string')) throw badAnswer('KEYS', v);
        const cursor = v[1];
        if (cursor !== null && cursor !== undefined && typeof cursor !== 'string') throw badAnswer('KEYS', v);
        return { keys: v[0] as string[], cursor: cursor ?? null };
      },
      retryable: true,
    },
  },
} as const satisfies Command;
