import { FrameDecoder, encodeFrame } from '../codec/codec';
import { KvndbError } from '../protocol/errors';
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
