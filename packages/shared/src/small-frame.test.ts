import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { FRAME_HEADER_BYTES, decodeBody, encodeFrame } from './codec';
import { Op } from './opcodes';
import { encodeSmallFrame } from './small-frame';

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
const message = fc.array(fc.oneof(leaf, fc.array(fc.oneof(leaf, fc.array(leaf, { maxLength: 4 })), { maxLength: 20 })), {
  maxLength: 6,
});

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
