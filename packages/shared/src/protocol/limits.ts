import { KvndbError } from './errors';

/** Defaults shared by every component. docs/PROTOCOL.md and docs/SECURITY.md list them. */
export const DEFAULT_PORT = 54565;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_MAX_KEY_BYTES = 64 * 1024;
export const DEFAULT_MAX_VALUE_BYTES = 64 * 1024 * 1024;
/** Room for the largest value plus its key and message overhead. */
export const DEFAULT_MAX_FRAME_BYTES = DEFAULT_MAX_VALUE_BYTES + 1024 * 1024;
export const DEFAULT_KEYS_LIMIT = 1000;
export const MAX_KEYS_LIMIT = 10000;
/** A snapshot chunk holds about this many bytes of keys and values (PROTOCOL.md). */
export const SNAPSHOT_CHUNK_BYTES = 256 * 1024;

export interface Limits {
  maxKeyBytes: number;
  maxValueBytes: number;
  maxFrameBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxKeyBytes: DEFAULT_MAX_KEY_BYTES,
  maxValueBytes: DEFAULT_MAX_VALUE_BYTES,
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
};

/** Throws BAD_REQUEST / TOO_LARGE for a key the data model does not allow. */
export function checkKey(key: unknown, limits: Limits = DEFAULT_LIMITS): asserts key is string {
  if (typeof key !== 'string') throw KvndbError.badRequest(`key must be a string, got ${describe(key)}`);
  if (key.length === 0) throw KvndbError.badRequest('key must not be empty');
  // A lone surrogate has no UTF-8 form: SQLite would store U+FFFD, memory the raw unit.
  if (!key.isWellFormed()) throw KvndbError.badRequest('key is not valid Unicode (it contains a lone surrogate)');
  // Cheap upper bound first: a UTF-16 unit is at most 3 UTF-8 bytes.
  if (key.length * 3 > limits.maxKeyBytes) {
    const bytes = Buffer.byteLength(key, 'utf8');
    if (bytes > limits.maxKeyBytes) {
      throw KvndbError.tooLarge(`key is ${bytes} bytes, the limit is ${limits.maxKeyBytes}`, {
        size: bytes,
        limit: limits.maxKeyBytes,
      });
    }
  }
}

/** Throws BAD_REQUEST / TOO_LARGE for a value that is not bytes or is over the limit. */
export function checkValue(value: unknown, limits: Limits = DEFAULT_LIMITS): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw KvndbError.badRequest(`value must be bytes, got ${describe(value)}`);
  if (value.length > limits.maxValueBytes) {
    throw KvndbError.tooLarge(`value is ${value.length} bytes, the limit is ${limits.maxValueBytes}`, {
      size: value.length,
      limit: limits.maxValueBytes,
    });
  }
}

export function describe(v: unknown): string {
  if (v === null) return 'nil';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Uint8Array) return 'bytes';
  return typeof v;
}
