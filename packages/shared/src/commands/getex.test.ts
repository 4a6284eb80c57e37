import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { Answer } from './command';
import { getex } from './getex';
import { LIMITS, thrown, wire } from '../testing/command-spec';

describe('GETEX', () => {
  const { getEx, getExBuffer } = getex.methods;

  test('getEx() with an expiry option becomes one gx op; without one it is a plain GET (a read)', () => {
    expect(getex.toWrite(wire(getEx.request(LIMITS, ['k', { ttlMs: 1500 }])), LIMITS)).toEqual([['gx', 'k', 1500, null, false]]);
    expect(getex.toWrite(wire(getEx.request(LIMITS, ['k', { expireAt: 1e12 }])), LIMITS)).toEqual([['gx', 'k', null, 1e12, false]]);
    expect(getex.toWrite(wire(getExBuffer.request(LIMITS, ['k', { persist: true }])), LIMITS)).toEqual([['gx', 'k', null, null, true]]);
    expect(getEx.request(LIMITS, ['k'])).toEqual([Op.GET, 0, 'k']);
    expect(getEx.request(LIMITS, ['k', {}])).toEqual([Op.GET, 0, 'k']);
    expect(getex.answer).toBe(Answer.First);
    expect(getEx.retryable).toBe(false);
  });

  test('answers decode as a string or bytes, nil as null', () => {
    expect(getEx.decode(Buffer.from('héllo'))).toBe('héllo');
    expect(getExBuffer.decode(Buffer.from([1, 2]))).toEqual(Buffer.from([1, 2]));
    expect(getEx.decode(null)).toBeNull();
    expect(thrown(() => getEx.decode(5)).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });

  test('bad options are refused by the client and by the router', () => {
    const req = (...args: unknown[]) => () => getEx.request(LIMITS, args as never);
    for (const bad of [req('', { ttlMs: 5 }), req('k', { ttlMs: 0 }), req('k', { ttlMs: 1.5 }), req('k', { ttlMs: 5, persist: true }), req('k', { ttlMs: 5, expireAt: 9 }), req('k', 'ex')]) {
      expect(thrown(bad).code).toBe(ErrorCode.BAD_REQUEST);
    }
    const w = (...args: unknown[]) => () => getex.toWrite([Op.GETEX, 1, ...args], LIMITS);
    for (const bad of [w('k', null, null, false), w('k', 5, null, true), w('k', 5, 6, false), w('k', -1, null, false), w('k', null, null, 1), w(7, 5, null, false)]) {
      expect(thrown(bad).code).toBe(ErrorCode.BAD_REQUEST);
    }
  });
});
