import { isUtf8 } from 'node:buffer';
import { KvndbError } from '@kvndb/shared';

/** How values travel in JSON bodies: UTF-8 text, or base64 for any bytes. */
export type Encoding = 'utf8' | 'base64';

export function encodingOf(v: unknown): Encoding {
  if (v === undefined || v === null || v === 'utf8') return 'utf8';
  if (v === 'base64') return 'base64';
  throw KvndbError.badRequest(`encoding must be "utf8" or "base64", got ${JSON.stringify(v)?.slice(0, 64)}`);
}

/**
 * A value for a JSON answer. With 'utf8', bytes that are not UTF-8 still come back intact,
 * as base64 with encoding "base64" beside them, rather than mangled into U+FFFD.
 */
export function valueToJson(value: Uint8Array, encoding: Encoding): { value: string; encoding: Encoding } {
  const buf = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.length);
  if (encoding === 'utf8' && isUtf8(buf)) return { value: buf.toString('utf8'), encoding: 'utf8' };
  return { value: buf.toString('base64'), encoding: 'base64' };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A value from a JSON body, as bytes. */
export function valueFromJson(v: unknown, encoding: Encoding, what: string): Buffer {
  if (typeof v !== 'string') throw KvndbError.badRequest(`${what} must be a string, got ${v === null ? 'null' : typeof v}`);
  if (encoding === 'utf8') return Buffer.from(v, 'utf8');
  if (v.length % 4 !== 0 || !BASE64.test(v)) throw KvndbError.badRequest(`${what} is not valid base64`);
  return Buffer.from(v, 'base64');
}
