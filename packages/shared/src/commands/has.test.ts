import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import type { ReadStore } from './command';
import { has } from './has';
import { LIMITS, thrown, wire } from '../testing/command-spec';

const keys = new Set(['a', 'b']);
const store: ReadStore = { get: () => undefined, getStored: () => undefined, has: (k) => keys.has(k), scan: () => [], entry: () => undefined, count: () => 0, randomKey: () => undefined };

describe('HAS', () => {
  test('the request passes the router unchanged; it is a retryable read', () => {
    const msg = has.methods.has.request(LIMITS, ['a']);
    expect(msg).toEqual([Op.HAS, 0, 'a']);
    expect(has.toRead(wire(msg), LIMITS)).toEqual([Op.HAS, 7, 'a']);
    expect(has.methods.has.retryable).toBe(true);
  });

  test('bad keys are refused by the client and the router alike', () => {
    for (const key of ['', 1, null] as unknown[]) {
      expect(thrown(() => has.methods.has.request(LIMITS, [key as string])).code).toBe(ErrorCode.BAD_REQUEST);
      expect(thrown(() => has.toRead([Op.HAS, 1, key], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    }
    const err = thrown(() => has.toRead([Op.HAS, 1, 'k'.repeat(17)], LIMITS));
    expect(err.code).toBe(ErrorCode.TOO_LARGE);
    expect(err.details).toEqual({ size: 17, limit: 16 });
    expect(thrown(() => has.methods.has.request(LIMITS, ['k'.repeat(17)])).code).toBe(ErrorCode.TOO_LARGE);
  });

  test('serve answers whether the key exists', () => {
    expect(has.serve(store, [Op.HAS, 1, 'a'], 1)).toBe(true);
    expect(has.serve(store, [Op.HAS, 1, 'z'], 1)).toBe(false);
    expect(thrown(() => has.serve(store, [Op.HAS, 1, 7], 1)).code).toBe(ErrorCode.BAD_REQUEST);
  });

  test('decode takes booleans only', () => {
    expect(has.methods.has.decode(true)).toBe(true);
    expect(has.methods.has.decode(false)).toBe(false);
    for (const bad of [null, 1, 'true', []]) expect(thrown(() => has.methods.has.decode(bad)).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});
