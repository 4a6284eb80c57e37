import { KvndbError } from '../protocol/errors';
import { describe } from '../protocol/limits';

/** The longest a blocking read may wait (setTimeout's limit, about 24.8 days). */
export const MAX_WAIT_MS = 0x7fffffff;

/** Options of a blocking read. */
export interface WaitOptions {
  /** Wait up to this many milliseconds for the key to exist (0: answer at once). */
  waitMs: number;
}

/** A blocking read's waitMs; throws BAD_REQUEST. */
export function checkWaitMs(v: unknown): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0 || (v as number) > MAX_WAIT_MS) {
    throw KvndbError.badRequest(`waitMs must be an integer of milliseconds from 0 to ${MAX_WAIT_MS}, got ${describe(v)}`);
  }
  return v as number;
}
