import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import type { ReadStore } from './command';
import { byteRange, getrange } from './getrange';
import { LIMITS, thrown, wire } from '../testing/command-spec';

const data = new Map([['k', Buffer.from('This is a string')], ['empty', Buffer.alloc(0)]]);
const store = { get: (k: string) => data.get(k) } as unknown as ReadStore;
const serve = (key: string, start: number, end: number) => (getrange.serve(store, [Op.GETRANGE, 1, key, start, end], 1) as Buffer).toString();

describe('GETRANGE', () => {
  test('getRange() and getRangeBuffer() pass the router as is; retryable reads', () => {
    for (const name of ['getRange', 'getRangeBuffer'] as const) {
      const msg = getrange.methods[name].request(LIMITS, ['k', 0, -1]);
      expect(msg).toEqual([Op.GETRANGE, 0, 'k', 0, -1]);
      expect(getrange.toRead(wire(msg), LIMITS)).toEqual([Op.GETRANGE, 7, 'k', 0, -1]);
      expect(getrange.methods[name].retryable).toBe(true);
    }
  });

  test("Redis's examples and its rules for negative, reversed and out-of-range indexes", () => {
    // The examples of Redis's GETRANGE page.
    expect(serve('k', 0, 3)).toBe('This');
    expect(serve('k', -3, -1)).toBe('ing');
    expect(serve('k', 0, -1)).toBe('This is a string');
    expect(serve('k', 10, 100)).toBe('string');
    expect(serve('k', 5, 3)).toBe('');
    expect(serve('k', -1, -5)).toBe('');
    expect(serve('k', -100, 3)).toBe('This');
    expect(serve('k', -100, -100)).toBe('T');
    expect(serve('k', 16, 20)).toBe('');
    expect(serve('k', 3, -100)).toBe('');
    expect(serve('k', 0, 0)).toBe('T');
    expect(serve('empty', 0, -1)).toBe('');
    // A missing key is an empty string, not nil.
    expect(getrange.serve(store, [Op.GETRANGE, 1, 'none', 0, -1], 1)).toEqual(Buffer.alloc(0));
    expect(byteRange(10, 2, 5)).toEqual([2, 6]);
  });

  test('non-integer indexes and bad keys are refused by the client, the router and the replica', () => {
    for (const bad of [1.5, '1', null, 2 ** 60]) {
      expect(thrown(() => getrange.methods.getRange.request(LIMITS, ['k', bad as number, 1])).code).toBe(ErrorCode.BAD_REQUEST);
      expect(thrown(() => getrange.toRead([Op.GETRANGE, 1, 'k', 0, bad], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
      expect(thrown(() => getrange.serve(store, [Op.GETRANGE, 1, 'k', bad, 0], 1)).code).toBe(ErrorCode.BAD_REQUEST);
    }
    expect(thrown(() => getrange.toRead([Op.GETRANGE, 1, '', 0, 1], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
  });

  test('decode: a string or bytes, empty for nil', () => {
    expect(getrange.methods.getRange.decode(new Uint8Array(Buffer.from('é')))).toBe('é');
    expect(getrange.methods.getRange.decode(null)).toBe('');
    expect(getrange.methods.getRangeBuffer.decode(Buffer.from('ab'))).toEqual(Buffer.from('ab'));
    expect(thrown(() => getrange.methods.getRange.decode(3)).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});
