import { Op } from '../protocol/opcodes';
import { KvndbError } from '../protocol/errors';
import { describe, type Limits } from '../protocol/limits';
import { badAnswer, bufferOrNull } from './answers';
import { checkKeys, keyArg } from './checks';
import { Immediate, type Command, type ReadStore } from './command';
import { entryAnswer, type Entry } from './mget';

/** What latest() resolves with: the most recently updated key of those asked. */
export interface LatestEntry extends Entry {
  key: string;
}

function request(limits: Limits, [keys]: [keys: string[]]): unknown[] | Immediate<null> {
  checkKeys(keys, 'latest', limits);
  if (keys.length === 0) return new Immediate(null);
  return [Op.LATEST, 0, keys];
}

/**
 * LATEST: of several keys, the one most recently updated, with its value (the dblume kvs
 * seed's read). Versions are seqs, which grow with the router's clock, so the highest
 * version is the latest write; nil when none exists.
 */
export const latest = {
  name: 'latest',
  op: Op.LATEST,
  arity: [3, 3],
  route: 'read',
  summary: 'of several keys, the most recently updated one with its value',
  toRead(msg: unknown[], limits: Limits): unknown[] {
    checkKeys(msg[2], 'LATEST', limits);
    if ((msg[2] as string[]).length === 0) throw KvndbError.badRequest('LATEST needs at least one key');
    return msg;
  },
  serve(store: ReadStore, msg: unknown[], now: number): unknown {
    const keys = msg[2];
    if (!Array.isArray(keys)) throw KvndbError.badRequest(`LATEST needs an array of keys, got ${describe(keys)}`);
    let best: unknown[] | null = null;
    for (let i = 0; i < keys.length; i++) {
      const key = keyArg(keys[i]);
      const e = store.entry(key, now);
      if (e !== undefined && !e.list && (best === null || e.version > (best[2] as number))) best = [key, ...entryAnswer(e)];
    }
    return best;
  },
  methods: {
    /** Of `keys`, the most recently updated one with its value and metadata (its content type too, when it has one), or null when none exists. */
    latest: {
      request,
      decode(v: unknown): LatestEntry | null {
        if (v === null || v === undefined) return null;
        if (!Array.isArray(v) || !(v.length === 5 || (v.length === 6 && typeof v[5] === 'string')) || typeof v[0] !== 'string') throw badAnswer('LATEST', v);
        const found: LatestEntry = { key: v[0], value: bufferOrNull(v[1]) as Buffer, version: v[2] as number, updated: v[3] as number, expires: v[4] as number };
        if (v.length === 6) found.contentType = v[5] as string;
        return found;
      },
      retryable: true,
    },
  },
} as const satisfies Command;
