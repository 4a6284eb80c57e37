import { Op } from '../protocol/opcodes';
import { KvndbError } from '../protocol/errors';
import { checkKey, describe, type Limits } from '../protocol/limits';
import { checkKeyLength, checkKeys } from './checks';
import type { Command } from './command';

/** What a watch follows: every key starting with a prefix ('' = all), or a set of keys. */
export type WatchSelector = { prefix: string } | { keys: string[] };

/** Watches on one connection may name at most this many keys each. */
export const MAX_WATCH_KEYS = 10_000;

/** The selector and start of a WATCH message [WATCH, id, prefix | keys[], fromSeq | nil]; throws BAD_REQUEST. */
export function parseWatch(msg: unknown[], limits: Limits): { selector: WatchSelector; fromSeq: number | null } {
  const what = msg[2];
  let selector: WatchSelector;
  if (typeof what === 'string') {
    checkKeyLength('a watch prefix', what, limits);
    selector = { prefix: what };
  } else if (Array.isArray(what)) {
    if (what.length === 0) throw KvndbError.badRequest('WATCH needs at least one key (or a prefix string)');
    if (what.length > MAX_WATCH_KEYS) throw KvndbError.badRequest(`WATCH names ${what.length} keys; the limit is ${MAX_WATCH_KEYS} (watch a prefix instead)`);
    checkKeys(what, 'WATCH', limits);
    selector = { keys: what };
  } else {
    throw KvndbError.badRequest(`WATCH needs a prefix string or an array of keys, got ${describe(what)}`);
  }
  const from = msg[3];
  if (from !== null && from !== undefined && !(Number.isSafeInteger(from) && (from as number) >= 0)) {
    throw KvndbError.badRequest(`WATCH fromSeq must be a seq (an integer >= 0) or nil, got ${describe(from)}`);
  }
  return { selector, fromSeq: (from as number | null | undefined) ?? null };
}

/** The request the client sends to open (or resume) a watch. */
export function watchRequest(limits: Limits, what: string | string[], fromSeq: number | null): unknown[] {
  if (Array.isArray(what)) for (const k of what) checkKey(k, limits);
  const msg = [Op.WATCH, 0, what, fromSeq];
  parseWatch(msg, limits);
  return msg;
}

/**
 * WATCH: stream every change to the keys under a prefix (or to a set of keys) after
 * fromSeq (nil: after the newest write sequenced now). The answer is the seq the watch
 * starts after; then the router pushes [EVENT, id, [epoch, seq, changes]] per write, and
 * ends the stream with [ERROR, id, ...] (COMPACTED, TOO_LARGE for a watcher that does not
 * read, SHUTTING_DOWN). The client's watch() (packages/client/src/watch.ts) resumes it.
 */
export const watch = {
  name: 'watch',
  op: Op.WATCH,
  arity: [4, 4],
  route: 'router',
  summary: 'stream the changes to keys under PREFIX (or to KEYS) after a seq',
  methods: {},
} as const satisfies Command;
