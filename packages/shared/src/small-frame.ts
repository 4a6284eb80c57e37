/**
 * A direct MessagePack writer for the small, flat messages that make up nearly all traffic
 * (GET requests, RESULTs, WRITEs of a few ops, WRITE_ACKs): arrays of integers, strings,
 * byte strings, booleans and nil, nested a few levels. It sizes the message first, then
 * writes header and body into one exact buffer: no intermediate copy, no per-call encoder
 * state. Anything else (maps, floats, big or deep messages) returns null and the caller
 * uses msgpackr. The output is plain MessagePack; codec tests decode it with msgpackr.
 */

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
  if (v instanceof Uint8Array) {
    const b = v.length;
    return (b < 0x100 ? 2 : b < 0x10000 ? 3 : 5) + b;
  }
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
    const b = v.length;
    if (b < 0x100) {
      out[at] = 0xc4;
      out[at + 1] = b;
      at += 2;
    } else if (b < 0x10000) {
      out[at] = 0xc5;
      out.writeUInt16BE(b, at + 1);
      at += 3;
    } else {
      out[at] = 0xc6;
      out.writeUInt32BE(b, at + 1);
      at += 5;
    }
    out.set(v, at);
    return at + b;
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
  if (b < 32) {
    out[at++] = 0xa0 | b;
  } else if (b < 0x100) {
    out[at] = 0xd9;
    out[at + 1] = b;
    at += 2;
  } else if (b < 0x10000) {
    out[at] = 0xda;
    out.writeUInt16BE(b, at + 1);
    at += 3;
  } else {
    out[at] = 0xdb;
    out.writeUInt32BE(b, at + 1);
    at += 5;
  }
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
  if (!Array.isArray(msg)) return null;
  const size = sizeOf(msg, 0);
  if (size < 0) return null;
  const frame = Buffer.allocUnsafe(4 + size);
  frame.writeUInt32BE(size, 0);
  writeValue(frame, 4, msg);
  return frame;
}
