import { KvndbError } from '../protocol/errors';
import { describe } from '../protocol/limits';
import type { WriteResult } from '../protocol/types';

/** Decoders for RESULT values, shared by the commands' client methods. Each throws PROTOCOL_ERROR on a wrong shape. */

function bad(what: string, v: unknown): KvndbError {
  return KvndbError.protocol(`router answered ${what} with ${describe(v)}`);
}

/**
 * Decoded `bin` values are views into the chunk they arrived in. A small value kept by the
 * application would pin the whole chunk, so those are copied; a view that covers most of
 * its memory (a large value) is handed out as is.
 */
function ownBytes(v: Uint8Array): Buffer {
  if (v.byteLength * 2 < v.buffer.byteLength) return Buffer.from(v);
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export function stringOrNull(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) {
    return Buffer.isBuffer(v) ? v.toString('utf8') : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  }
  throw bad('a read', v);
}

export function bufferOrNull(v: unknown): Buffer | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) return ownBytes(v);
  throw bad('a read', v);
}

export function bool(v: unknown): boolean {
  if (typeof v !== 'boolean') throw bad('a request', v);
  return v;
}

export function list<T>(what: string, v: unknown, each: (x: unknown) => T): T[] {
  if (!Array.isArray(v)) throw bad(what, v);
  return v.map(each);
}

export function writeResult(v: unknown): WriteResult {
  if (typeof v === 'boolean') return v;
  if (Array.isArray(v) && typeof v[0] === 'boolean') return [v[0], bufferOrNull(v[1])];
  throw bad('a write', v);
}

export function nothing(_value?: unknown): undefined {
  return undefined;
}

export function object<T>(what: string, v: unknown): T {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) throw bad(what, v);
  return v as T;
}

export { bad as badAnswer };

/** A decoder for a length or count answer: a non-negative integer. */
export function length(what: string): (v: unknown) => number {
  return (v: unknown): number => {
    if (!Number.isSafeInteger(v) || (v as number) < 0) throw bad(what, v);
    return v as number;
  };
}
