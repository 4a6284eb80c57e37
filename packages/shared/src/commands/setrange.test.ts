import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { Answer } from './command';
import { setrange } from './setrange';
import { LIMITS, thrown, wire } from '../testing/command-spec';

describe('SETRANGE', () => {
  test('setRange() passes the router and becomes one r op', () => {
    const msg = setrange.methods.setRange.request(LIMITS, ['k', 6, 'Redis']);
    expect(msg).toEqual([Op.SETRANGE, 0, 'k', 6, Buffer.from('Redis')]);
    const [op] = setrange.toWrite(wire(msg), LIMITS);
    expect([op[0], op[1], op[2], Buffer.from(op[3] as Uint8Array).toString()]).toEqual(['r', 'k', 6, 'Redis']);
    expect(setrange.answer).toBe(Answer.First);
    expect(setrange.methods.setRange.retryable).toBe(false);
  });

  test('a result past the value limit is refused with TOO_LARGE in Redis words; up to the limit, and empty writes, pass', () => {
    for (const fn of [
      () => setrange.methods.setRange.request(LIMITS, ['k', 30, 'abc']),
      () => setrange.toWrite([Op.SETRANGE, 1, 'k', 30, Buffer.from('abc')], LIMITS),
      () => setrange.toWrite([Op.SETRANGE, 1, 'k', 2 ** 40, Buffer.from('a')], LIMITS),
    ]) {
      const err = thrown(fn);
      expect(err.code).toBe(ErrorCode.TOO_LARGE);
      expect(err.message).toMatch(/^string exceeds maximum allowed size \(proto-max-bulk-len\)/);
    }
    expect(thrown(() => setrange.toWrite([Op.SETRANGE, 1, 'k', 30, Buffer.from('abc')], LIMITS)).details).toEqual({ size: 33, limit: 32 });
    expect(setrange.toWrite([Op.SETRANGE, 1, 'k', 29, Buffer.from('abc')], LIMITS)).toHaveLength(1);
    // Redis: writing nothing is never refused, whatever the offset.
    expect(setrange.toWrite([Op.SETRANGE, 1, 'k', 2 ** 40, Buffer.alloc(0)], LIMITS)).toHaveLength(1);
  });

  test('negative, fractional and non-number offsets and bad values are refused', () => {
    for (const offset of [-1, 1.5, '3', null, 2 ** 53]) {
      expect(thrown(() => setrange.toWrite([Op.SETRANGE, 1, 'k', offset, Buffer.from('a')], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
      expect(thrown(() => setrange.methods.setRange.request(LIMITS, ['k', offset as number, 'a'])).code).toBe(ErrorCode.BAD_REQUEST);
    }
    expect(thrown(() => setrange.toWrite([Op.SETRANGE, 1, 'k', 0, 'a'], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => setrange.toWrite([Op.SETRANGE, 1, '', 0, Buffer.from('a')], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
  });

  test('decode: the new length', () => {
    expect(setrange.methods.setRange.decode(11)).toBe(11);
    expect(thrown(() => setrange.methods.setRange.decode('11')).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});
