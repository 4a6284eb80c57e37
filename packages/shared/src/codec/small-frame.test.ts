import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { FRAME_HEADER_BYTES, decodeBody, encodeFrame } from './codec';
import { Op } from '../protocol/opcodes';
import { NOT_SMALL, decodeSmallBody, encodeLatin1BinFrame, encodeSmallFrame } from './small-frame';
import type { Latin1Bytes } from './latin1-bytes';

const packr = new Packr({ useRecords: false, moreTypes: false, encodeUndefinedAsNil: true, variableMapSize: true });

/** What the direct writer handles: integers, strings (any Unicode), bytes, booleans, nil, small arrays. */
const leaf = fc.oneof(
  fc.integer({ min: -0x80000000, max: 0xffffffff }),
  fc.maxSafeNat(),
  fc.constantFrom(0, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, -32, -33, -128, -129, -32768, -32769),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.boolean(),
  fc.constant(null),
);
/** Messages of `leaf` values: up to 6 items, nested up to two arrays deep. */
function messageOf(leafArb: fc.Arbitrary<unknown>): fc.Arbitrary<unknown[]> {
  return fc.array(fc.oneof(leafArb, fc.array(fc.oneof(leafArb, fc.array(leafArb, { maxLength: 4 })), { maxLength: 20 })), {
    maxLength: 6,
  });
}
const message = messageOf(leaf);

test('small frames decode to the same value as msgpackr would encode, with a correct length prefix', () => {
  fc.assert(
    fc.property(message, (msg) => {
      const frame = encodeSmallFrame(msg);
      expect(frame).not.toBeNull();
      const f = frame as Buffer;
      expect(f.readUInt32BE(0)).toBe(f.length - FRAME_HEADER_BYTES);
      const expected = decodeBody(packr.pack(msg));
      expect(decodeBody(f.subarray(FRAME_HEADER_BYTES))).toEqual(expected);
    }),
    { numRuns: 2000, seed: 6 },
  );
});

test('lone surrogates (short and long strings) are written as U+FFFD, as Buffer writes them', () => {
  const strings = ['a\ud800b', '\udc00', 'x'.repeat(70) + '\ud83d'];
  const decoded = decodeBody((encodeSmallFrame([Op.GET, 1, ...strings]) as Buffer).subarray(4));
  expect(decoded).toEqual([Op.GET, 1, ...strings.map((s) => Buffer.from(s, 'utf8').toString('utf8'))]);
});

test('maps, floats, big arrays and unsafe integers fall back to msgpackr, and encodeFrame still encodes them', () => {
  for (const msg of [[Op.SET, 1, 'k', Buffer.from('v'), { nx: true }], [1.5], new Array(100).fill(1), [2 ** 60], [-(2 ** 40)], 'not an array']) {
    expect(encodeSmallFrame(msg)).toBeNull();
    const frame = encodeFrame(msg);
    expect(decodeBody(frame.subarray(FRAME_HEADER_BYTES))).toEqual(decodeBody(packr.pack(msg)));
  }
});

test('the frame limit applies to directly written frames too', () => {
  expect(() => encodeFrame([Op.RESULT, 1, Buffer.alloc(1000)], 500)).toThrow(/frame limit is 500/);
});

/** msgpackr's answer for a body, or the error it throws. */
function msgpackrDecode(body: Buffer): { value?: unknown; error?: unknown } {
  try {
    return { value: decodeBody(body) };
  } catch (error) {
    return { error };
  }
}

const asciiLeaf = fc.oneof(
  fc.integer({ min: -0x80000000, max: 0xffffffff }),
  fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.boolean(),
  fc.constant(null),
);
const asciiMessage = messageOf(asciiLeaf);

test('the direct reader decodes small ASCII messages itself, to exactly what msgpackr returns', () => {
  fc.assert(
    fc.property(asciiMessage, fc.boolean(), (msg, viaMsgpackr) => {
      // Both writers' output: they choose different integer widths for some values.
      const body = viaMsgpackr ? packr.pack(msg) : (encodeSmallFrame(msg) as Buffer).subarray(FRAME_HEADER_BYTES);
      const data = Buffer.concat([Buffer.from('junk'), body, Buffer.from('more')]);
      const got = decodeSmallBody(data, 4, 4 + body.length);
      expect(got).not.toBe(NOT_SMALL);
      expect(got).toEqual(decodeBody(body));
    }),
    { numRuns: 2000, seed: 7 },
  );
});

test('unsigned integers past 32 bits (the router clock in WRITE and CLOCK frames) are read directly, as msgpackr reads them', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.maxSafeNat(), asciiLeaf), { maxLength: 6 }), (rest) => {
      const msg = [Op.WRITE, 1, 2, rest, 1796526045904];
      const body = (encodeSmallFrame(msg) as Buffer).subarray(FRAME_HEADER_BYTES);
      expect(body.includes(0xcf)).toBe(true);
      const got = decodeSmallBody(body, 0, body.length);
      expect(got).not.toBe(NOT_SMALL);
      expect(got).toEqual(decodeBody(body));
      expect(got).toEqual(msg);
    }),
    { numRuns: 500, seed: 9 },
  );
});

test('the direct reader leaves everything else to msgpackr and never disagrees with it, even on damaged bytes', () => {
  const anyMessage = fc.oneof(message, fc.array(fc.oneof(leaf, fc.double(), fc.dictionary(fc.string(), leaf)), { maxLength: 5 }), fc.anything());
  fc.assert(
    fc.property(anyMessage, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 3 }), fc.nat(), (msg, flips, cut) => {
      const body = Buffer.from(packr.pack(msg));
      for (const [at, byte] of flips) if (body.length > 0) body[at % body.length] = byte;
      const damaged = cut % 3 === 0 ? body.subarray(0, cut % (body.length + 1)) : body;
      const got = decodeSmallBody(damaged, 0, damaged.length);
      if (got === NOT_SMALL) return;
      const expected = msgpackrDecode(damaged);
      expect(expected.error).toBeUndefined();
      expect(got).toEqual(expected.value);
    }),
    { numRuns: 3000, seed: 8 },
  );
});

test('non-ASCII strings, floats, maps, 64-bit integers, truncation and trailing bytes are not read directly', () => {
  const cases = [[Op.GET, 1, 'caf\u00e9'], [1.5], [{ a: 1 }], [2 ** 40], [Op.GET, 1, 'key']];
  for (const msg of cases.slice(0, 4)) {
    const body = packr.pack(msg);
    expect(decodeSmallBody(body, 0, body.length)).toBe(NOT_SMALL);
  }
  const body = packr.pack(cases[4]);
  expect(decodeSmallBody(body, 0, body.length - 1)).toBe(NOT_SMALL);
  const longer = Buffer.concat([body, Buffer.from([0xc0])]);
  expect(decodeSmallBody(longer, 0, longer.length)).toBe(NOT_SMALL);
  expect(decodeSmallBody(body, 0, body.length)).toEqual(cases[4]);
});

test('a RESULT written from a one-byte string is the same frame as from the Buffer of those bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(0, 255, 256, 65535, 65536, 70000), fc.nat(), (head, pad, id) => {
      const bytes = Buffer.concat([Buffer.from(head), Buffer.alloc(pad % 70001 === pad ? pad : 0, 7)]);
      const frame = encodeLatin1BinFrame(Op.RESULT, id, bytes.toString('latin1') as Latin1Bytes);
      expect(frame.equals(encodeFrame([Op.RESULT, id, bytes]))).toBe(true);
    }),
    { numRuns: 300, seed: 9 },
  );
});
