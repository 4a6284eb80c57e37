import { ErrorCode, KvndbError, type OpError } from '@kvndb/shared';

/**
 * Reply encoding, RESP2 and RESP3. Small and allocation-light: replies are concatenated per
 * tick. Most replies are the same in both; where RESP3 has its own type (null, map, double,
 * verbatim string) the function takes the connection's protocol, as the command saw it when
 * it ran (HELLO may switch it between a command and its answer).
 */
const CRLF = '\r\n';

/** The protocol a connection speaks: 2 until HELLO 3, as in Redis. */
export type Proto = 2 | 3;

export const OK = Buffer.from('+OK\r\n');
export const PONG = Buffer.from('+PONG\r\n');
export const NULL_BULK = Buffer.from('$-1\r\n');
export const NULL_ARRAY = Buffer.from('*-1\r\n');
/** RESP3's one null, for a missing bulk string and a missing array alike. */
export const NULL3 = Buffer.from('_\r\n');
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

/** A missing value: `$-1` in RESP2, `_` in RESP3. */
export function nil(proto: Proto): Buffer {
  return proto === 3 ? NULL3 : NULL_BULK;
}

/** A value or a missing one. */
export function bulkOrNil(value: Uint8Array | string | null | undefined, proto: Proto): Buffer {
  return value === null || value === undefined ? nil(proto) : bulk(value);
}

/** A floating-point number: RESP3's double (`,`), a bulk string in RESP2 (as Redis does). */
export class Double {
  constructor(readonly value: number) {}
}

/** A key/value map: RESP3's map (`%`), a flat array of pairs in RESP2 (as Redis does). */
export class RespMap {
  constructor(readonly entries: ReadonlyArray<readonly [Reply, Reply]>) {}
}

/**
 * A reply value: bulk string (string or bytes), integer, nil, nested array, map or double.
 * Buffers are bulk strings too; a pre-encoded reply is never nested.
 */
export type Reply = Buffer | string | number | null | Uint8Array | Double | RespMap | Reply[];

/** Arrays of bulk strings, integers, nils, maps, doubles and nested arrays. */
export function array(items: Reply[], proto: Proto = 2): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${items.length}${CRLF}`)];
  for (const item of items) parts.push(encode(item, proto));
  return Buffer.concat(parts);
}

/**
 * An out-of-band frame (pub/sub messages and (un)subscribe confirmations): RESP3's push
 * type (`>`), which a client tells from a reply, or a plain array in RESP2, as Redis sends.
 */
export function push(items: Reply[], proto: Proto): Buffer {
  const parts: Buffer[] = [Buffer.from(`${proto === 3 ? '>' : '*'}${items.length}${CRLF}`)];
  for (const item of items) parts.push(encode(item, proto));
  return Buffer.concat(parts);
}

export function map(entries: ReadonlyArray<readonly [Reply, Reply]>, proto: Proto): Buffer {
  return encode(new RespMap(entries), proto);
}

export function double(n: number, proto: Proto): Buffer {
  return encode(new Double(n), proto);
}

/** Redis's spelling of a double: inf, -inf, nan, else the shortest round-trip digits. */
function doubleText(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  return String(n);
}

/**
 * Text meant for people (INFO, CLIENT INFO/LIST): RESP3's verbatim string (`=`, format
 * txt), a bulk string in RESP2, as Redis does. Clients hand both over as a plain string.
 */
export function verbatim(text: string, proto: Proto): Buffer {
  if (proto === 2) return bulk(text);
  const body = Buffer.from(`txt:${text}`);
  return Buffer.concat([Buffer.from(`=${body.length}${CRLF}`), body, Buffer.from(CRLF)]);
}

/** Any reply value in the connection's protocol. */
export function encode(item: Reply, proto: Proto): Buffer {
  if (item === null) return nil(proto);
  if (typeof item === 'number') return integer(item);
  if (typeof item === 'string') return bulk(item);
  if (Array.isArray(item)) return array(item, proto);
  if (item instanceof RespMap) {
    if (proto === 2) return array(item.entries.flat() as Reply[], 2);
    const parts: Buffer[] = [Buffer.from(`%${item.entries.length}${CRLF}`)];
    for (const [k, v] of item.entries) parts.push(encode(k, proto), encode(v, proto));
    return Buffer.concat(parts);
  }
  if (item instanceof Double) return proto === 3 ? Buffer.from(`,${doubleText(item.value)}${CRLF}`) : bulk(doubleText(item.value));
  return bulk(item);
}

/**
 * Redis's words for the errors an op meets at its position (a counter on a non-number...):
 * the replicas' messages are Redis's own, without the ERR word.
 */
function redisWords(code: string, message: string): string | undefined {
  switch (code) {
    case ErrorCode.NOT_A_NUMBER:
    case ErrorCode.OVERFLOW:
      return `ERR ${message}`;
    case ErrorCode.NO_SUCH_KEY:
      return 'ERR no such key';
    case ErrorCode.OUT_OF_RANGE:
      return `ERR ${message}`;
    case ErrorCode.WRONG_TYPE:
      return 'WRONGTYPE Operation against a key holding the wrong kind of value';
  }
  return undefined;
}

/** The reply for an op that failed inside a write (an element of EXEC's array). */
export function opErrorReply(e: OpError): Buffer {
  return error(redisWords(e.error, e.message) ?? `${e.error} ${e.message}`);
}

/** An error reply for a failed command: a KvndbError keeps its code word, anything else is ERR. */
export function errorReply(err: unknown): Buffer {
  if (err instanceof KvndbError) return error(redisWords(err.code, err.message) ?? `${err.code} ${err.message}`);
  return error(`ERR ${err instanceof Error ? err.message : String(err)}`);
}
