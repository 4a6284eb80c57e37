import { FrameDecoder, encodeFrame } from '../codec/codec';
import { ErrorCode, KvndbError } from '../protocol/errors';
import type { ReadStore } from '../commands/command';
import type { Limits } from '../protocol/limits';

/** What the commands' spec tests share (not built into dist). */

/** Small limits, so the size checks are easy to reach. */
export const LIMITS: Limits = { maxKeyBytes: 16, maxValueBytes: 32, maxFrameBytes: 1024 };

/** The KvndbError `fn` throws; fails the test if it throws nothing or something else. */
export function thrown(fn: () => unknown): KvndbError {
  try {
    fn();
  } catch (err) {
    if (err instanceof KvndbError) return err;
    throw err;
  }
  throw new Error('expected a KvndbError');
}

/** A client message as the router receives it: its id filled in, framed, then decoded. */
export function wire(msg: unknown, id = 7): unknown[] {
  const out: unknown[] = [];
  const m = msg as unknown[];
  new FrameDecoder({ onFrame: (f) => out.push(f), onError: (e) => { throw e; } }).write(encodeFrame([m[0], id, ...m.slice(2)]));
  return out[0] as unknown[];
}

/** A store with one list 'q' and one string 's'. */
export function listStoreOf(items: string[]): ReadStore {
  const wrong = () => new KvndbError(ErrorCode.WRONG_TYPE, 'Operation against a key holding the wrong kind of value');
  const q = items.map((v) => Buffer.from(v));
  return {
    get: () => undefined,
    getStored: () => undefined,
    has: (k) => k === 'q' || k === 's',
    scan: () => [],
    entry: () => undefined,
    count: () => 2,
    randomKey: () => undefined,
    typeOf: (k) => (k === 'q' ? 'list' : k === 's' ? 'string' : undefined),
    listLength(k) {
      if (k === 's') throw wrong();
      return k === 'q' ? q.length : 0;
    },
    list(k, start, stop) {
      if (k === 's') throw wrong();
      if (k !== 'q') return [];
      const n = q.length;
      const a = start < 0 ? Math.max(0, n + start) : start;
      const b = Math.min(stop < 0 ? n + stop : stop, n - 1);
      return a > b ? [] : q.slice(a, b + 1);
    },
  };
}
