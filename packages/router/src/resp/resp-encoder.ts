import { KvndbError } from '@kvndb/shared';

/** RESP2 reply encoding. Small and allocation-light: replies are concatenated per tick. */
const CRLF = '\r\n';

export const OK = Buffer.from('+OK\r\n');
export const PONG = Buffer.from('+PONG\r\n');
export const NULL_BULK = Buffer.from('$-1\r\n');
export const NULL_ARRAY = Buffer.from('*-1\r\n');
export const EMPTY_ARRAY = Buffer.from('*0\r\n');

export function simple(s: string): Buffer {
  return Buffer.from(`+${s}${CRLF}`);
}

/** `message` starts with the error code word, as Redis does ("ERR ...", "NO_REPLICAS ..."). */
export function error(message: string): Buffer {
  return Buffer.from(`-${message.replace(/[\r\n]+/g, ' ')}${CRLF}`);
}

export function integer(n: number): Buffer {
  return Buffer.from(`:${n}${CRLF}`);
}

export function bulk(value: Uint8Array | string | null | undefined): Buffer {
  if (value === null || value === undefined) return NULL_BULK;
  const body = typeof value === 'string' ? Buffer.from(value) : value;
  const out = Buffer.allocUnsafe(bulkSize(body.length));
  writeBulk(out, 0, body);
  return out;
}

function digits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/** Bytes of `$<len>\r\n<body>\r\n`. */
export function bulkSize(len: number): number {
  return len + digits(len) + 5;
}

/** Writes `$<len>\r\n<body>\r\n` at `at` (room checked by the caller); returns the end offset. */
export function writeBulk(out: Buffer, at: number, body: Uint8Array): number {
  const len = body.length;
  out[at] = 36; // '$'
  const end = at + 1 + digits(len);
  for (let i = end - 1, n = len; i > at; i--, n = Math.floor(n / 10)) out[i] = 48 + (n % 10);
  out[end] = 13;
  out[end + 1] = 10;
  out.set(body, end + 2);
  const tail = end + 2 + len;
  out[tail] = 13;
  out[tail + 1] = 10;
  return tail + 2;
}

export type Reply = Buffer | string | number | null | Uint8Array | Reply[];

/** Arrays of bulk strings, integers, nils and nested arrays. */
export function array(items: Reply[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${items.length}${CRLF}`)];
  for (const item of items) parts.push(encodeReply(item));
  return Buffer.concat(parts);
}

function encodeReply(item: Reply): Buffer {
  if (item === null) return NULL_BULK;
  if (typeof item === 'number') return integer(item);
  if (typeof item === 'string') return bulk(item);
  if (Array.isArray(item)) return array(item);
  return bulk(item);
}

/** An error reply for a failed command: a KvndbError keeps its code word, anything else is ERR. */
export function errorReply(err: unknown): Buffer {
  if (err instanceof KvndbError) return error(`${err.code} ${err.message}`);
  return error(`ERR ${err instanceof Error ? err.message : String(err)}`);
}
