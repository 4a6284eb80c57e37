import { KvndbError } from '@kvndb/shared';

/**
 * Splits a console line into arguments the way a POSIX shell would, and returns each as
 * bytes so values can be binary:
 *
 * - whitespace separates arguments; pieces next to each other join (`a"b c"` is `ab c`);
 * - `'...'` is literal;
 * - `"..."` understands `\\ \" \n \r \t \0 \a \b \f \v \e`, `\xHH` (one byte) and
 *   `\uHHHH` / `\u{H...}` (a code point, as UTF-8); any other `\c` stays as typed;
 * - outside quotes a backslash makes the next character literal (`a\ b` is `a b`).
 *
 * An unterminated quote or a trailing backslash is an error (BAD_REQUEST), never a guess.
 * Written here rather than taken from shell-quote because that library has no notion of
 * bytes (`\xff`), which a binary-safe store needs.
 */
export function tokenize(line: string): Buffer[] {
  const tokens: Buffer[] = [];
  let current: number[] | null = null;
  const chars = Array.from(line);
  let i = 0;

  const push = (ch: string) => {
    (current ??= []).push(...Buffer.from(ch, 'utf8'));
  };

  while (i < chars.length) {
    const ch = chars[i];
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      if (current) tokens.push(Buffer.from(current));
      current = null;
      i++;
    } else if (ch === "'") {
      current ??= [];
      const end = chars.indexOf("'", i + 1);
      if (end < 0) throw KvndbError.badRequest('unterminated single quote');
      for (let j = i + 1; j < end; j++) push(chars[j]);
      i = end + 1;
    } else if (ch === '"') {
      current ??= [];
      i = readDoubleQuoted(chars, i + 1, current);
    } else if (ch === '\\') {
      if (i + 1 >= chars.length) throw KvndbError.badRequest('the line ends with a backslash');
      push(chars[i + 1]);
      i += 2;
    } else {
      push(ch);
      i++;
    }
  }
  if (current) tokens.push(Buffer.from(current));
  return tokens;
}

/** Convenience for callers that only need text (command names, keys). */
export function tokenizeToStrings(line: string): string[] {
  return tokenize(line).map((token) => token.toString('utf8'));
}

const SIMPLE_ESCAPES: Record<string, number> = {
  '\\': 0x5c,
  '"': 0x22,
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  '0': 0x00,
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  v: 0x0b,
  e: 0x1b,
};

/** Reads up to the closing quote; returns the index after it. */
function readDoubleQuoted(chars: string[], start: number, out: number[]): number {
  let i = start;
  while (i < chars.length) {
    const ch = chars[i];
    if (ch === '"') return i + 1;
    if (ch !== '\\') {
      out.push(...Buffer.from(ch, 'utf8'));
      i++;
      continue;
    }
    const next = chars[i + 1];
    if (next === undefined) break;
    if (next in SIMPLE_ESCAPES) {
      out.push(SIMPLE_ESCAPES[next]);
      i += 2;
    } else if (next === 'x') {
      const hex = chars.slice(i + 2, i + 4).join('');
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw KvndbError.badRequest(`\\x needs two hex digits, got "\\x${hex}"`);
      out.push(parseInt(hex, 16));
      i += 4;
    } else if (next === 'u') {
      let hex: string;
      let length: number;
      if (chars[i + 2] === '{') {
        const close = chars.indexOf('}', i + 3);
        if (close < 0) throw KvndbError.badRequest('\\u{ is missing its closing }');
        hex = chars.slice(i + 3, close).join('');
        length = close + 1 - i;
      } else {
        hex = chars.slice(i + 2, i + 6).join('');
        length = 6;
      }
      const code = /^[0-9a-fA-F]{1,6}$/.test(hex) ? parseInt(hex, 16) : NaN;
      if (!(code <= 0x10ffff) || (code >= 0xd800 && code <= 0xdfff)) {
        throw KvndbError.badRequest(`\\u needs a Unicode code point in hex (not a surrogate), got "${hex}"`);
      }
      out.push(...Buffer.from(String.fromCodePoint(code), 'utf8'));
      i += length;
    } else {
      // Unknown escapes stay as typed, as in a POSIX shell: "C:\dir" keeps its backslash.
      out.push(0x5c, ...Buffer.from(next, 'utf8'));
      i += 2;
    }
  }
  throw KvndbError.badRequest('unterminated double quote');
}
