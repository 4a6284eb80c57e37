import { isUtf8 } from 'node:buffer';
import { KvndbError } from '@kvndb/shared';

const HEX = /^[0-9a-fA-F]{2}$/;

/**
 * Percent-decoding that refuses what a lenient decoder would guess at: a `%` not followed by
 * two hex digits, and bytes that are not UTF-8 (kvndb keys are UTF-8 strings). `plus`: a `+`
 * is a space, as in a query string or a form body.
 */
export function decodeStrict(raw: string, what: string, plus = false): string {
  if (!raw.includes('%') && !(plus && raw.includes('+')) && !/[^\x00-\x7f]/.test(raw)) return raw;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25 /* % */) {
      const hex = raw.slice(i + 1, i + 3);
      if (!HEX.test(hex)) throw KvndbError.badRequest(`${what} has an invalid percent-encoding at "${raw.slice(i, i + 3)}"`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (plus && c === 0x2b /* + */) {
      bytes.push(0x20);
    } else if (c < 0x100) {
      // Node reads the request line as latin1: raw (unencoded) bytes arrive as one char each.
      bytes.push(c);
    } else {
      throw KvndbError.badRequest(`${what} has a character that is not a byte`);
    }
  }
  const buf = Buffer.from(bytes);
  if (!isUtf8(buf)) throw KvndbError.badRequest(`${what} is not valid UTF-8 once percent-decoded (kvndb keys are UTF-8 strings)`);
  return buf.toString('utf8');
}

/** A query string or form body as name -> values, strictly decoded. */
export function parseQuery(raw: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (raw === '') return out;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeStrict(eq < 0 ? part : part.slice(0, eq), 'a query parameter name', true);
    const value = eq < 0 ? '' : decodeStrict(part.slice(eq + 1), `query parameter "${name}"`, true);
    const list = out.get(name);
    if (list) list.push(value);
    else out.set(name, [value]);
  }
  return out;
}

/** The raw URL split into its path and query string (neither decoded). */
export function splitUrl(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

/** The one value of a query parameter; a parameter given twice is refused rather than guessed at. */
export function single(query: Map<string, string[]>, name: string): string | undefined {
  const v = query.get(name);
  if (v === undefined) return undefined;
  if (v.length > 1) throw KvndbError.badRequest(`query parameter "${name}" is given ${v.length} times`);
  return v[0];
}

/** A query parameter that must be a positive integer (ttl, limit). */
export function positiveInt(query: Map<string, string[]>, name: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = single(query, name);
  if (v === undefined) return undefined;
  if (!/^[0-9]+$/.test(v) || Number(v) < 1 || Number(v) > max) {
    throw KvndbError.badRequest(`query parameter "${name}" must be an integer from 1 to ${max}, got "${v.slice(0, 64)}"`);
  }
  return Number(v);
}
