import { parse } from 'content-type';
import { KvndbError } from './errors';
import { describe } from './limits';

/**
 * A string value's content type: an optional short label kept with the value (the HTTP door's
 * Content-Type, docs/HTTP.md "Content types"). It is metadata, never interpreted: kvndb
 * stores the exact text given and gives it back.
 */

/** The longest content type a key may carry, in bytes (a media type is short; this keeps it so). */
export const MAX_CONTENT_TYPE_BYTES = 255;

/** Visible ASCII, space and tab: what a header value may hold without an encoding question. */
const HEADER_TEXT = /^[\t\x20-\x7e]*$/;

/**
 * `x` if it is a content type a key may carry: a string of at most MAX_CONTENT_TYPE_BYTES
 * printable ASCII bytes that is a syntactically valid media type with parameters
 * (RFC 9110 8.3: `type/subtype; name=value`, as jshttp's content-type parses it), kept
 * exactly as given. Throws BAD_REQUEST naming what is wrong otherwise.
 */
export function checkContentType(x: unknown): string {
  if (typeof x !== 'string') throw KvndbError.badRequest(`a content type must be a string, got ${describe(x)}`);
  // Non-ASCII is refused below, so the length in characters is the length in bytes.
  if (x.length > MAX_CONTENT_TYPE_BYTES) {
    throw KvndbError.badRequest(`a content type is at most ${MAX_CONTENT_TYPE_BYTES} bytes, got ${x.length}`);
  }
  if (!HEADER_TEXT.test(x)) throw KvndbError.badRequest(`a content type is printable ASCII, got ${JSON.stringify(x.slice(0, 64))}`);
  try {
    parse(x);
  } catch {
    throw KvndbError.badRequest(`not a valid media type (type/subtype; name=value): ${JSON.stringify(x.slice(0, 64))}`);
  }
  return x;
}
