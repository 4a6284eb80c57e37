import { KvndbError } from '../protocol/errors';
import { describe } from '../protocol/limits';
import { badAnswer, bufferOrNull } from './answers';
import type { ReadStore } from './command';

/** Argument checks and answers the list commands share. */

/** A list index or count: any safe integer (negative ones count from the end). */
export function indexArg(v: unknown, what: string): number {
  if (!Number.isSafeInteger(v)) throw KvndbError.badRequest(`${what} must be an integer, got ${describe(v)}`);
  return v as number;
}

/** An optional boolean field (nil: false). */
export function flagArg(v: unknown, what: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw KvndbError.badRequest(`${what} must be a boolean, got ${describe(v)}`);
  return v;
}

/** The list methods of a replica's store: both stores have them (the spec tests' stand-ins may not). */
export function listStore(store: ReadStore): Required<Pick<ReadStore, 'listLength' | 'list'>> {
  if (store.listLength === undefined || store.list === undefined) throw KvndbError.badRequest('this store holds no lists');
  return store as Required<Pick<ReadStore, 'listLength' | 'list'>>;
}

/** A list of values as strings. */
export function strings(what: string, v: unknown): string[] {
  if (!Array.isArray(v)) throw badAnswer(what, v);
  return v.map((x) => {
    const b = bufferOrNull(x);
    if (b === null) throw badAnswer(what, v);
    return b.toString('utf8');
  });
}

/** A list of values as Buffers. */
export function buffers(what: string, v: unknown): Buffer[] {
  if (!Array.isArray(v)) throw badAnswer(what, v);
  return v.map((x) => {
    const b = bufferOrNull(x);
    if (b === null) throw badAnswer(what, v);
    return b;
  });
}
