/**
 * A direct MessagePack writer for the small, flat messages that make up nearly all traffic
 * (GET requests, RESULTs, WRITEs of a few ops, WRITE_ACKs): arrays of integers, strings,
 * byte strings, booleans and nil, nested a few levels. It sizes the message first, then
 * writes header and body into one exact buffer: no intermediate copy, no per-call encoder
 * state. Anything else (maps, floats, big or deep messages) returns null and the caller
 * uses msgpackr. The output is plain MessagePack; codec tests decode it with msgpackr.
 */

import type { Latin1Bytes } from './latin1-bytes';

const MAX_DEPTH = 4;
const MAX_ITEMS = 64;
/** Strings up to this many UTF-16 units are measured and written in JS; longer ones natively. */
const SHORT_STRING = 64;
const TWO_32 = 2 ** 32;

/** UTF-8 length of a string, or -1 when it is long (measured natively instead). */
function shortUtf8Length(s: string): number {
  const n = s.length;
  if (n > SHORT_STRING) return -1;
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3; // lone surrogates become U+FFFD, three bytes, as Buffer writes them
  }
  return bytes;
}

function strBytes(s: string): number {
  const b = shortUtf8Length(s);
  return b >= 0 ? b : Buffer.byteLength(s, 'utf8');
}

function headerSize(len: number, small: number): number {
  // fix form (when allowed), 8-bit, 16-bit or 32-bit length prefix
  if (len < small) return 1;
  if (len < 0x100) return 2;
  if (len < 0x10000) return 3;
  return 5;
}

/** Encoded size of `v`, or -1 when it is not something this writer handles. */
function sizeOf(v: unknown, depth: number): number {
  if (v === null || v === undefined || typeof v === 'boolean') return 1;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return -1;
    if (v >= 0) {
      if (v < 0x80) return 1;
      if (v < 0x100) return 2;
      if (v < 0x10000) return 3;
      if (v < TWO_32) return 5;
      return Number.isSafeInteger(v) ? 9 : -1;
    }
    if (v >= -32) return 1;
    if (v >= -0x80) return 2;
    if (v >= -0x8000) return 3;
    if (v >= -0x80000000) return 5;
    return -1;
  }
  if (typeof v === 'string') {
    const b = strBytes(v);
    // str8 exists, so short strings under 32 bytes use fixstr and the rest a prefix
    return headerSize(b, 32) + b;
  }
  if (v instanceof Uint8Array) return binHeaderSize(v.length) + v.length;
  if (Array.isArray(v)) {
    if (depth >= MAX_DEPTH || v.length > MAX_ITEMS) return -1;
    let total = v.length < 16 ? 1 : 3;
    for (let i = 0; i < v.length; i++) {
      const s = sizeOf(v[i], depth + 1);
      if (s < 0) return -1;
      total += s;
    }
    return total;
  }
  return -1;
}

function writeValue(out: Buffer, at: number, v: unknown): number {
  if (v === null || v === undefined) {
    out[at] = 0xc0;
    return at + 1;
  }
  if (v === false) {
    out[at] = 0xc2;
    return at + 1;
  }
  if (v === true) {
    out[at] = 0xc3;
    return at + 1;
  }
  if (typeof v === 'number') return writeInt(out, at, v);
  if (typeof v === 'string') return writeStr(out, at, v);
  if (v instanceof Uint8Array) {
    at = writeBinHeader(out, at, v.length);
    out.set(v, at);
    return at + v.length;
  }
  const arr = v as unknown[];
  const n = arr.length;
  if (n < 16) {
    out[at++] = 0x90 | n;
  } else {
    out[at] = 0xdc;
    out.writeUInt16BE(n, at + 1);
    at += 3;
  }
  for (let i = 0; i < n; i++) at = writeValue(out, at, arr[i]);
  return at;
}

function binHeaderSize(n: number): number {
  return n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
}

/**
 * A type byte and an 8-, 16- or 32-bit length `n`; `code8` is the 8-bit form's type byte
 * (bin8 0xc4, str8 0xd9), the next two are the 16- and 32-bit forms. Returns where the
 * bytes go.
 */
function writeLengthHeader(out: Buffer, at: number, n: number, code8: number): number {
  if (n < 0x100) {
    out[at] = code8;
    out[at + 1] = n;
    return at + 2;
  }
  if (n < 0x10000) {
    out[at] = code8 + 1;
    out.writeUInt16BE(n, at + 1);
    return at + 3;
  }
  out[at] = code8 + 2;
  out.writeUInt32BE(n, at + 1);
  return at + 5;
}

/** A bin8/bin16/bin32 header for `n` bytes; returns where the bytes go. */
function writeBinHeader(out: Buffer, at: number, n: number): number {
  return writeLengthHeader(out, at, n, 0xc4);
}

function writeInt(out: Buffer, at: number, v: number): number {
  if (v >= 0) {
    if (v < 0x80) {
      out[at] = v;
      return at + 1;
    }
    if (v < 0x100) {
      out[at] = 0xcc;
      out[at + 1] = v;
      return at + 2;
    }
    if (v < 0x10000) {
      out[at] = 0xcd;
      out.writeUInt16BE(v, at + 1);
      return at + 3;
    }
    if (v < TWO_32) {
      out[at] = 0xce;
      out.writeUInt32BE(v, at + 1);
      return at + 5;
    }
    out[at] = 0xcf;
    out.writeUInt32BE(Math.floor(v / TWO_32), at + 1);
    out.writeUInt32BE(v >>> 0, at + 5);
    return at + 9;
  }
  if (v >= -32) {
    out[at] = v & 0xff;
    return at + 1;
  }
  if (v >= -0x80) {
    out[at] = 0xd0;
    out.writeInt8(v, at + 1);
    return at + 2;
  }
  if (v >= -0x8000) {
    out[at] = 0xd1;
    out.writeInt16BE(v, at + 1);
    return at + 3;
  }
  out[at] = 0xd2;
  out.writeInt32BE(v, at + 1);
  return at + 5;
}

function writeStr(out: Buffer, at: number, s: string): number {
  const short = shortUtf8Length(s);
  const b = short >= 0 ? short : Buffer.byteLength(s, 'utf8');
  if (b < 32) out[at++] = 0xa0 | b; // fixstr
  else at = writeLengthHeader(out, at, b, 0xd9); // str8, str16, str32
  if (short === s.length) {
    // ASCII: one byte per unit, no native call
    for (let i = 0; i < short; i++) out[at + i] = s.charCodeAt(i);
  } else {
    out.write(s, at, b, 'utf8');
  }
  return at + b;
}

/**
 * The whole frame (4-byte length, then the body) for `msg`, or null when `msg` is not a
 * small flat message this writer handles.
 */
export function encodeSmallFrame(msg: unknown): Buffer | null {
  const size = smallBodySize(msg);
  if (size < 0) return null;
  const frame = Buffer.allocUnsafe(4 + size);
  writeSmallFrame(frame, 0, msg, size);
  return frame;
}

/** Body size of `msg` as encodeSmallFrame would write it, or -1 when it is not such a message. */
export function smallBodySize(msg: unknown): number {
  return Array.isArray(msg) ? sizeOf(msg, 0) : -1;
}

/**
 * Write the frame of `msg` (its body size from smallBodySize) into `out` at `at`, for
 * callers that gather many frames in one buffer; returns the offset after it.
 */
export function writeSmallFrame(out: Buffer, at: number, msg: unknown, bodySize: number): number {
  out.writeUInt32BE(bodySize, at);
  return writeValue(out, at + 4, msg);
}

/**
 * The frame for [op, id, bytes] where the bytes come as Latin1Bytes (latin1-bytes.ts; how
 * MemoryStore keeps small values): the MessagePack bin is written straight from the string,
 * with no Buffer in between. `op` is an opcode, `id` a non-negative integer.
 */
export function encodeLatin1BinFrame(op: number, id: number, bytes: Latin1Bytes): Buffer {
  const n = bytes.length;
  const size = 1 + sizeOf(op, 1) + sizeOf(id, 1) + binHeaderSize(n) + n;
  const frame = Buffer.allocUnsafe(4 + size);
  frame.writeUInt32BE(size, 0);
  frame[4] = 0x93;
  const at = writeBinHeader(frame, writeInt(frame, writeInt(frame, 5, op), id), n);
  frame.write(bytes, at, n, 'latin1');
  return frame;
}

/** What decodeSmallBody returns for anything it leaves to msgpackr. */
export const NOT_SMALL: unique symbol = Symbol('not a small frame');

// Reader state of decodeSmallBody, reset on every call (decoding is synchronous).
const EMPTY = Buffer.alloc(0);
let src: Buffer = EMPTY;
let pos = 0;
let lim = 0;
let bail = false;

/**
 * The reading half: decodes the body `data[start, end)` when it is an array of the same
 * small vocabulary encodeSmallFrame writes (integers, unsigned ones up to 2^53, ASCII strings, byte
 * strings, booleans, nil, arrays nested a few levels), with exactly the values msgpackr
 * would return (byte strings are views into `data`, as msgpackr gives them). Anything else
 * (maps, floats, negative 64-bit integers, non-ASCII strings, extensions, truncated or trailing
 * bytes) returns NOT_SMALL and the caller decodes the frame with msgpackr, so errors and
 * edge cases stay msgpackr's.
 */
export function decodeSmallBody(data: Buffer, start: number, end: number): unknown {
  if (start >= end || (data[start] & 0xf0) !== 0x90) return NOT_SMALL;
  src = data;
  pos = start;
  lim = end;
  bail = false;
  const v = readValue(0);
  // Do not keep the chunk alive after the call (it may be a 64 MiB frame).
  src = EMPTY;
  if (bail || pos !== end) return NOT_SMALL;
  return v;
}

function readValue(depth: number): unknown {
  if (pos >= lim) return fail();
  const b = src[pos++];
  if (b < 0x80) return b;
  if (b >= 0xe0) return b - 0x100;
  if ((b & 0xf0) === 0x90) return readArray(b & 0x0f, depth);
  if ((b & 0xe0) === 0xa0) return readAscii(b & 0x1f);
  switch (b) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc4:
      return readBin(readLength(1));
    case 0xc5:
      return readBin(readLength(2));
    case 0xc6:
      return readBin(readLength(4));
    case 0xcc:
      return readLength(1);
    case 0xcd:
      return readLength(2);
    case 0xce:
      return readLength(4);
    case 0xcf: {
      // uint64: the router's clock in every WRITE and CLOCK frame (ms since 1970, > 2^32).
      // Exact up to 2^53; anything larger is msgpackr's to decode.
      if (pos + 8 > lim) return fail();
      const hi = src.readUInt32BE(pos);
      if (hi >= 0x200000) return fail();
      const lo = src.readUInt32BE(pos + 4);
      pos += 8;
      return hi * TWO_32 + lo;
    }
    case 0xd0:
      return pos + 1 <= lim ? src.readInt8(pos++) : fail();
    case 0xd1:
      if (pos + 2 > lim) return fail();
      pos += 2;
      return src.readInt16BE(pos - 2);
    case 0xd2:
      if (pos + 4 > lim) return fail();
      pos += 4;
      return src.readInt32BE(pos - 4);
    case 0xd9:
      return readAscii(readLength(1));
    case 0xda:
      return readAscii(readLength(2));
    case 0xdc:
      return readArray(readLength(2), depth);
    default:
      return fail();
  }
}

function fail(): null {
  bail = true;
  pos = lim;
  return null;
}

/** An unsigned big-endian integer of `bytes` bytes (1, 2 or 4). */
function readLength(bytes: number): number {
  if (pos + bytes > lim) {
    fail();
    return 0;
  }
  const at = pos;
  pos += bytes;
  if (bytes === 1) return src[at];
  if (bytes === 2) return (src[at] << 8) | src[at + 1];
  return src.readUInt32BE(at);
}

function readArray(n: number, depth: number): unknown[] | null {
  if (depth >= MAX_DEPTH || n > lim - pos) return fail();
  const arr = new Array<unknown>(n);
  for (let i = 0; i < n && !bail; i++) arr[i] = readValue(depth + 1);
  return arr;
}

function readBin(n: number): Buffer | null {
  if (bail || pos + n > lim) return fail();
  pos += n;
  return src.subarray(pos - n, pos);
}

function readAscii(n: number): string | null {
  if (bail || pos + n > lim) return fail();
  const at = pos;
  for (let i = at; i < at + n; i++) if (src[i] >= 0x80) return fail();
  pos += n;
  return src.toString('latin1', at, at + n);
}
