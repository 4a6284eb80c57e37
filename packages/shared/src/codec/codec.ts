import { Packr, Unpackr } from 'msgpackr';
import { KvndbError } from '../protocol/errors';
import { DEFAULT_MAX_FRAME_BYTES } from '../protocol/limits';
import { NOT_SMALL, decodeSmallBody, encodeSmallFrame, smallBodySize, writeSmallFrame } from './small-frame';

/**
 * Plain MessagePack only: no records, no msgpackr extensions, so any language's
 * MessagePack library can read and write kvndb frames.
 */
const packr = new Packr({ useRecords: false, moreTypes: false, encodeUndefinedAsNil: true, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

export const FRAME_HEADER_BYTES = 4;

export function encodeBody(msg: unknown): Buffer {
  return packr.pack(msg);
}

export function decodeBody(body: Uint8Array): unknown {
  return unpackr.unpack(body);
}

/**
 * One frame: 4-byte big-endian body length, then the MessagePack body. Small flat messages
 * (the hot path) are written directly by encodeSmallFrame; the rest go through msgpackr.
 */
export function encodeFrame(msg: unknown, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): Buffer {
  const small = encodeSmallFrame(msg);
  if (small !== null) {
    if (small.length - FRAME_HEADER_BYTES > maxFrameBytes) throw frameTooLarge(small.length - FRAME_HEADER_BYTES, maxFrameBytes);
    return small;
  }
  const body = packr.pack(msg);
  if (body.length > maxFrameBytes) throw frameTooLarge(body.length, maxFrameBytes);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * The in-place path, for a connection that gathers small frames in one staging buffer: the
 * whole frame size of `msg` when writeFrameAt can write it (the small flat messages of
 * small-frame.ts, nearly all traffic), or -1 (use encodeFrame).
 */
export function inPlaceFrameBytes(msg: unknown): number {
  const body = smallBodySize(msg);
  return body < 0 ? -1 : body + FRAME_HEADER_BYTES;
}

/** Write the frame of `msg` (`frameBytes` from inPlaceFrameBytes) into `out` at `at`; returns the offset after it. */
export function writeFrameAt(out: Buffer, at: number, msg: unknown, frameBytes: number): number {
  return writeSmallFrame(out, at, msg, frameBytes - FRAME_HEADER_BYTES);
}

function frameTooLarge(size: number, limit: number): KvndbError {
  return KvndbError.tooLarge(`message is ${size} bytes, the frame limit is ${limit}`, { size, limit });
}

const MAX_DEPTH = 32;

/** Reused {start, end} for unpackr.unpack (read synchronously at the start of each call). */
const bodyRange = { start: 0, end: 0 };

/**
 * msgpackr decodes some things plain MessagePack does not have (the timestamp extension
 * as a Date, the never-used 0xc1 byte as an object): refuse anything but nil, booleans,
 * numbers, strings, bytes, arrays and plain maps, nested at most MAX_DEPTH deep.
 */
function isPlain(v: unknown, depth: number): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return true;
  if (typeof v !== 'object' || depth > MAX_DEPTH) return false;
  if (v instanceof Uint8Array) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!isPlain(v[i], depth + 1)) return false;
    return true;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return false;
  for (const k in v) if (!isPlain((v as Record<string, unknown>)[k], depth + 1)) return false;
  return true;
}

export interface FrameDecoderOptions {
  maxFrameBytes?: number;
  onFrame: (msg: unknown) => void;
  onError: (err: KvndbError) => void;
}

/**
 * Push decoder: feed it socket chunks with write(); it calls onFrame once per complete
 * frame. The length prefix is checked against the limit before any of the body is
 * buffered. After an error it ignores further input: the stream cannot be trusted.
 */
export class FrameDecoder {
  private maxFrameBytes: number;
  /** Said after the limit in a TOO_LARGE error, e.g. " before authentication". */
  private limitNote = '';
  private readonly onFrame: (msg: unknown) => void;
  private readonly onError: (err: KvndbError) => void;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes needed before the pending data can make progress. */
  private needed = 0;
  private failed = false;

  constructor(options: FrameDecoderOptions) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.onFrame = options.onFrame;
    this.onError = options.onError;
  }

  /** The frame limit in force. */
  get limit(): number {
    return this.maxFrameBytes;
  }

  /**
   * Change the frame limit from the next frame header on (a connection gets a small one
   * until it has authenticated). `note` is added to the TOO_LARGE message after the limit.
   */
  setLimit(maxFrameBytes: number, note = ''): void {
    this.maxFrameBytes = maxFrameBytes;
    this.limitNote = note;
  }

  /** Bytes received but not yet part of a complete frame. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** Stop decoding; later writes are ignored. */
  stop(): void {
    this.failed = true;
    this.pending = [];
    this.pendingBytes = 0;
  }

  write(chunk: Buffer): void {
    if (this.failed || chunk.length === 0) return;
    let data: Buffer;
    if (this.pendingBytes > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < this.needed) return;
      data = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    } else {
      data = chunk;
    }

    let off = 0;
    const end = data.length;
    while (end - off >= FRAME_HEADER_BYTES) {
      const len = data.readUInt32BE(off);
      if (len > this.maxFrameBytes) {
        this.fail(
          KvndbError.tooLarge(`frame of ${len} bytes exceeds the limit of ${this.maxFrameBytes}${this.limitNote}`, {
            size: len,
            limit: this.maxFrameBytes,
          }),
        );
        return;
      }
      if (len === 0) {
        this.fail(KvndbError.protocol('empty frame'));
        return;
      }
      if (end - off - FRAME_HEADER_BYTES < len) break;
      const start = off + FRAME_HEADER_BYTES;
      off = start + len;
      // Small flat messages (nearly all traffic) are read directly; the rest by msgpackr.
      let msg = decodeSmallBody(data, start, off);
      if (msg === NOT_SMALL) {
        // Decode in place: a subarray per frame would also cost msgpackr a new DataView each.
        bodyRange.start = start;
        bodyRange.end = off;
        try {
          msg = unpackr.unpack(data, bodyRange);
        } catch (err) {
          this.fail(KvndbError.protocol(`malformed MessagePack frame: ${(err as Error).message}`, err));
          return;
        }
        if (!isPlain(msg, 0)) {
          this.fail(KvndbError.protocol('malformed MessagePack frame: only plain MessagePack types are allowed (no extensions)'));
          return;
        }
      }
      this.onFrame(msg);
      if (this.failed) return;
    }

    if (off < end) {
      // Keep only the unfinished tail; copy it so a large socket chunk is not retained.
      const rest = Buffer.from(data.subarray(off));
      this.pending = [rest];
      this.pendingBytes = rest.length;
      this.needed = rest.length >= FRAME_HEADER_BYTES ? FRAME_HEADER_BYTES + rest.readUInt32BE(0) : FRAME_HEADER_BYTES;
    } else {
      this.needed = 0;
    }
  }

  private fail(err: KvndbError): void {
    this.stop();
    this.onError(err);
  }
}
