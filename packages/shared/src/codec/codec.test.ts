import fc from 'fast-check';
import { FRAME_HEADER_BYTES, FrameDecoder, decodeBody, encodeBody, encodeFrame } from './codec';
import { ErrorCode, KvndbError, ProtocolError, TooLargeError } from '../protocol/errors';
import { Op } from '../protocol/opcodes';

/** A decoder that records what it produced. */
function recorder(maxFrameBytes?: number) {
  const frames: unknown[] = [];
  const errors: KvndbError[] = [];
  const decoder = new FrameDecoder({
    maxFrameBytes,
    onFrame: (msg) => frames.push(msg),
    onError: (err) => errors.push(err),
  });
  return { decoder, frames, errors };
}

function feedWhole(bytes: Buffer, maxFrameBytes?: number) {
  const r = recorder(maxFrameBytes);
  r.decoder.write(bytes);
  return r;
}

function feedByteByByte(bytes: Buffer, maxFrameBytes?: number) {
  const r = recorder(maxFrameBytes);
  for (let i = 0; i < bytes.length; i++) r.decoder.write(bytes.subarray(i, i + 1));
  return r;
}

/** A frame with an arbitrary body (for malformed input the encoder would never make). */
function rawFrame(body: number[] | Buffer): Buffer {
  const b = Buffer.from(body);
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt32BE(b.length, 0);
  return Buffer.concat([header, b]);
}

/**
 * Buffers as tagged hex, so toEqual still tells bytes from strings but does not walk a
 * 200 KiB buffer element by element (jest's deep equality takes seconds for that).
 */
function norm(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return { bin: v.toString('hex') };
  if (v instanceof Uint8Array) return { u8: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) return v.map(norm);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
  return v;
}

const bigBin = Buffer.alloc(200 * 1024, 7);
bigBin[12345] = 1;

const SHAPES: [string, unknown][] = [
  ['PING', [Op.PING, 1]],
  ['GET with a unicode key', [Op.GET, 2, 'ключ-🔑-\u0000-end']],
  ['SET with binary value and flags', [Op.SET, 3, 'k', Buffer.from([0, 1, 2, 255]), { nx: true, get: false }]],
  ['SET with an empty value and nil flags', [Op.SET, 4, 'k', Buffer.alloc(0), null]],
  ['RESULT nil', [Op.RESULT, 5, null]],
  ['RESULT booleans', [Op.RESULT, 6, [true, false]]],
  ['ERROR with details', [Op.ERROR, 7, 'TIMEOUT', 'write timed out', { applied: 1, required: 2 }]],
  ['MSET pairs', [Op.MSET, 8, [['a', Buffer.from('1')], ['b', Buffer.from('2')]]]],
  ['BATCH ops', [Op.BATCH, 9, [['s', 'k', Buffer.from('v'), { xx: true }], ['d', 'k']]]],
  ['KEYS page', [Op.RESULT, 10, [['a', 'b', 'c'], 'c']]],
  ['nested maps', [Op.WELCOME, { a: { b: { c: [1, { d: null, e: 'x' }] } }, empty: {}, list: [] }]],
  [
    'large integers up to 2^53',
    [Op.WRITE, 2 ** 53, 2 ** 53 - 1, [-(2 ** 53 - 1), 2 ** 32, 2 ** 32 - 1, 2 ** 31, -(2 ** 31), 65536, 255, -1, 0], 1],
  ],
  ['empty strings and a long string', [Op.RESULT, 11, ['', 'x'.repeat(70000)]]],
  ['a 200 KiB binary value', [Op.RESULT, 12, bigBin]],
  ['status-like map', [Op.RESULT, 13, { epoch: 1700000000000, seq: 42, replicas: [{ name: 'r1', state: 'in-sync', lag: 0 }] }]],
];

describe('round trips', () => {
  test.each(SHAPES)('%s: fed whole', (_name, msg) => {
    const r = feedWhole(encodeFrame(msg));
    expect(r.errors).toEqual([]);
    expect(norm(r.frames)).toEqual([norm(msg)]);
    expect(r.decoder.bufferedBytes).toBe(0);
  });

  test.each(SHAPES)('%s: fed byte by byte', (_name, msg) => {
    const r = feedByteByByte(encodeFrame(msg));
    expect(r.errors).toEqual([]);
    expect(norm(r.frames)).toEqual([norm(msg)]);
    expect(r.decoder.bufferedBytes).toBe(0);
  });

  test('strings stay strings and bytes stay bytes', () => {
    const [msg] = feedWhole(encodeFrame([Op.SET, 1, '123', Buffer.from('123')])).frames as unknown[][];
    expect(typeof msg[2]).toBe('string');
    expect(Buffer.isBuffer(msg[3])).toBe(true);
    // A plain Uint8Array is sent as bin too.
    const [again] = feedWhole(encodeFrame([Op.RESULT, 1, new Uint8Array([9, 8])])).frames as unknown[][];
    expect(Buffer.from(again[2] as Uint8Array)).toEqual(Buffer.from([9, 8]));
  });

  test('the body is plain MessagePack: maps are maps, not msgpackr records', () => {
    expect(encodeBody({ a: 1 })).toEqual(Buffer.from([0x81, 0xa1, 0x61, 0x01]));
    expect(encodeBody([Op.GET, 1, 'k'])).toEqual(Buffer.from([0x93, 21, 1, 0xa1, 0x6b]));
    // The same object shape twice must not turn into a record reference the second time.
    const twice = encodeBody([{ a: 1 }, { a: 1 }]);
    expect(twice).toEqual(Buffer.from([0x92, 0x81, 0xa1, 0x61, 0x01, 0x81, 0xa1, 0x61, 0x01]));
  });

  test('64-bit integers from other encoders decode as numbers', () => {
    expect(decodeBody(Buffer.from([0xcf, 0, 0x20, 0, 0, 0, 0, 0, 0]))).toBe(2 ** 53);
    expect(decodeBody(Buffer.from([0xd3, 0xff, 0xe0, 0, 0, 0, 0, 0, 0]))).toBe(-(2 ** 53));
  });

  test('the header is the body length, big-endian', () => {
    const frame = encodeFrame([Op.PING, 258]);
    expect(frame.readUInt32BE(0)).toBe(frame.length - FRAME_HEADER_BYTES);
    expect(decodeBody(frame.subarray(FRAME_HEADER_BYTES))).toEqual([Op.PING, 258]);
  });

  test('any message survives any split into chunks (property)', () => {
    const leaf = fc.oneof(
      fc.string(),
      fc.boolean(),
      fc.constant(null),
      fc.maxSafeInteger(),
      fc.uint8Array({ maxLength: 64 }).map((u) => Buffer.from(u)),
    );
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('map')),
      array: fc.array(tie('value'), { maxLength: 5 }),
      map: fc.dictionary(
        fc.string().filter((k) => k !== '__proto__'),
        tie('value'),
        { maxKeys: 5 },
      ),
    }));
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 8 }), (msgs, cuts) => {
        const bytes = Buffer.concat(msgs.map((m) => encodeFrame([Op.RESULT, 1, m])));
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const r = recorder();
        let prev = 0;
        for (const p of [...points, bytes.length]) {
          r.decoder.write(bytes.subarray(prev, p));
          prev = p;
        }
        expect(r.errors).toEqual([]);
        expect(norm(r.frames)).toEqual(norm(msgs.map((m) => [Op.RESULT, 1, m])));
      }),
      { numRuns: 300 },
    );
  });
});

describe('framing', () => {
  const a = encodeFrame([Op.GET, 1, 'a']);
  const b = encodeFrame([Op.SET, 2, 'b', Buffer.from('value')]);
  const c = encodeFrame([Op.RESULT, 3, null]);

  test('several frames in one chunk come out in order', () => {
    const r = feedWhole(Buffer.concat([a, b, c]));
    expect(r.frames).toEqual([
      [Op.GET, 1, 'a'],
      [Op.SET, 2, 'b', Buffer.from('value')],
      [Op.RESULT, 3, null],
    ]);
    expect(r.errors).toEqual([]);
  });

  test('two frames split at every possible point', () => {
    const both = Buffer.concat([a, b]);
    for (let i = 0; i <= both.length; i++) {
      const r = recorder();
      r.decoder.write(both.subarray(0, i));
      r.decoder.write(both.subarray(i));
      expect(r.frames).toEqual([
        [Op.GET, 1, 'a'],
        [Op.SET, 2, 'b', Buffer.from('value')],
      ]);
    }
  });

  test('a truncated frame waits for the rest', () => {
    const r = recorder();
    const half = Math.floor(b.length / 2);
    r.decoder.write(b.subarray(0, half));
    expect(r.frames).toEqual([]);
    expect(r.errors).toEqual([]);
    expect(r.decoder.bufferedBytes).toBe(half);
    r.decoder.write(b.subarray(half, b.length - 1));
    expect(r.frames).toEqual([]);
    r.decoder.write(b.subarray(b.length - 1));
    expect(r.frames).toEqual([[Op.SET, 2, 'b', Buffer.from('value')]]);
    expect(r.decoder.bufferedBytes).toBe(0);
  });

  test('a partial header waits too', () => {
    const r = recorder();
    r.decoder.write(a.subarray(0, 3));
    expect(r.decoder.bufferedBytes).toBe(3);
    r.decoder.write(a.subarray(3));
    expect(r.frames).toHaveLength(1);
  });

  test('empty chunks are harmless', () => {
    const r = recorder();
    r.decoder.write(Buffer.alloc(0));
    r.decoder.write(a);
    r.decoder.write(Buffer.alloc(0));
    expect(r.frames).toHaveLength(1);
  });
});

describe('malformed and oversized input', () => {
  test('the 4-byte header of a 4 GiB frame is refused at once, before buffering anything', () => {
    const header = Buffer.from([0xff, 0xff, 0xff, 0xff]);
    const r = recorder();
    r.decoder.write(header);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toBeInstanceOf(TooLargeError);
    expect(r.errors[0].code).toBe(ErrorCode.TOO_LARGE);
    expect(r.errors[0].details).toMatchObject({ size: 0xffffffff });
    expect(r.decoder.bufferedBytes).toBeLessThanOrEqual(FRAME_HEADER_BYTES);
    // The same header fed byte by byte fails as soon as it is complete.
    const slow = feedByteByByte(header);
    expect(slow.errors.map((e) => e.code)).toEqual([ErrorCode.TOO_LARGE]);
    expect(slow.decoder.bufferedBytes).toBeLessThanOrEqual(FRAME_HEADER_BYTES);
  });

  test('the limit is inclusive and configurable', () => {
    const atLimit = encodeFrame([Op.RESULT, 1, Buffer.alloc(50)]);
    const bodyLen = atLimit.length - FRAME_HEADER_BYTES;
    expect(feedWhole(atLimit, bodyLen).frames).toHaveLength(1);
    const over = feedWhole(atLimit, bodyLen - 1);
    expect(over.frames).toHaveLength(0);
    expect(over.errors[0].code).toBe(ErrorCode.TOO_LARGE);
  });

  test('an oversized header after a good frame in the same chunk: the good frame is delivered, then the error', () => {
    const r = feedWhole(Buffer.concat([encodeFrame([Op.PING, 1]), Buffer.from([0x7f, 0, 0, 0])]), 1024);
    expect(r.frames).toEqual([[Op.PING, 1]]);
    expect(r.errors.map((e) => e.code)).toEqual([ErrorCode.TOO_LARGE]);
  });

  test('a zero-length frame is a protocol error', () => {
    const r = feedWhole(Buffer.from([0, 0, 0, 0]));
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toBeInstanceOf(ProtocolError);
    expect(r.errors[0].message).toMatch(/empty frame/);
  });

  const GARBAGE: [string, number[]][] = [
    ['an array shorter than its header says', [0x92, 0x01]],
    ['a str32 with a cut-off length', [0xdb, 0, 0]],
    ['a bin with a cut-off body', [0xc4, 0x05, 1, 2]],
    ['a map missing its value', [0x81, 0xa1, 0x61]],
    ['an extension type (not plain MessagePack)', [0xd4, 0x01, 0x02]],
    ['an unknown ext8 type', [0xc7, 0x01, 0x05, 0x00]],
    ['two values in one frame', [0x01, 0x02]],
    ['the timestamp extension (decodes to a Date)', [0xd6, 0xff, 0, 0, 0, 1]],
    ['the never-used byte 0xc1', [0xc1]],
    ['an array nested deeper than the limit', [...Array(40).fill(0x91), 0x01]],
  ];

  test.each(GARBAGE)('garbage body (%s) is a PROTOCOL_ERROR, fed whole or byte by byte', (_name, body) => {
    for (const r of [feedWhole(rawFrame(body)), feedByteByByte(rawFrame(body))]) {
      expect(r.frames).toEqual([]);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toBeInstanceOf(ProtocolError);
      expect(r.errors[0].code).toBe(ErrorCode.PROTOCOL_ERROR);
      expect(r.errors[0].message).toMatch(/malformed MessagePack/);
    }
  });

  test('after an error the decoder ignores all further input', () => {
    const r = recorder();
    r.decoder.write(Buffer.concat([rawFrame([0x92, 0x01]), encodeFrame([Op.PING, 1])]));
    r.decoder.write(encodeFrame([Op.PING, 2]));
    r.decoder.write(Buffer.from([0, 0, 0, 0]));
    expect(r.frames).toEqual([]);
    expect(r.errors).toHaveLength(1);
    expect(r.decoder.bufferedBytes).toBe(0);
  });

  test('stop() makes the decoder drop what it holds and ignore the rest', () => {
    const r = recorder();
    r.decoder.write(encodeFrame([Op.PING, 1]).subarray(0, 5));
    r.decoder.stop();
    expect(r.decoder.bufferedBytes).toBe(0);
    r.decoder.write(encodeFrame([Op.PING, 2]));
    expect(r.frames).toEqual([]);
    expect(r.errors).toEqual([]);
  });

  test('an exception thrown by onFrame is not mistaken for a decode error', () => {
    const errors: KvndbError[] = [];
    const decoder = new FrameDecoder({
      onFrame: () => {
        throw new Error('handler bug');
      },
      onError: (e) => errors.push(e),
    });
    expect(() => decoder.write(encodeFrame([Op.PING, 1]))).toThrow('handler bug');
    expect(errors).toEqual([]);
  });

  test('encodeFrame refuses a message over the frame limit', () => {
    let thrown: unknown;
    try {
      encodeFrame([Op.RESULT, 1, Buffer.alloc(2000)], 1000);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(TooLargeError);
    expect((thrown as KvndbError).details).toMatchObject({ limit: 1000 });
  });
});
