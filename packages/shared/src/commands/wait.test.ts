import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { LIMITS, thrown, wire } from '../testing/command-spec';
import { MAX_WAIT_MS } from './blocking';
import { get } from './get';
import { parseGetWait } from './get-wait';
import { MAX_WAIT_KEYS, parseWait, wait } from './wait';

describe('blocking reads', () => {
  test('get with waitMs sends GET_WAIT and is a blocking method; without it a plain GET', () => {
    expect(get.methods.get.request(LIMITS, ['k', { waitMs: 250 }])).toEqual([Op.GET_WAIT, 0, 'k', 250]);
    expect(get.methods.getBuffer.request(LIMITS, ['k', {}])).toEqual([Op.GET, 0, 'k']);
    expect(get.methods.get.waitMs(['k', { waitMs: 250 }])).toBe(250);
    expect(get.methods.get.waitMs(['k'])).toBeUndefined();
    expect(parseGetWait(wire([Op.GET_WAIT, 0, 'k', 250]), LIMITS)).toEqual({ key: 'k', waitMs: 250 });
  });

  test('WAIT: keys and a wait; answers [key, value] or nil', () => {
    const msg = wait.methods.wait.request(LIMITS, [['a', 'b'], { waitMs: 0 }]);
    expect(msg).toEqual([Op.WAIT, 0, ['a', 'b'], 0]);
    expect(parseWait(wire(msg), LIMITS)).toEqual({ keys: ['a', 'b'], waitMs: 0 });
    expect(wait.methods.wait.waitMs([['a'], { waitMs: 9 }])).toBe(9);
    expect(wait.methods.wait.decode(['b', new Uint8Array([120])])).toEqual({ key: 'b', value: 'x' });
    expect(wait.methods.waitBuffer.decode(['b', new Uint8Array([120])])).toEqual({ key: 'b', value: Buffer.from('x') });
    expect(wait.methods.wait.decode(null)).toBeNull();
    for (const bad of ['x', ['a'], [1, new Uint8Array()], ['a', 'b']]) expect(thrown(() => wait.methods.wait.decode(bad)).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });

  test('bad waits, keys and key counts are refused by the client and the router alike', () => {
    for (const w of [-1, 1.5, '10', null, MAX_WAIT_MS + 1]) {
      expect(thrown(() => get.methods.get.request(LIMITS, ['k', { waitMs: w as number }])).code).toBe(ErrorCode.BAD_REQUEST);
      expect(thrown(() => parseGetWait([Op.GET_WAIT, 1, 'k', w], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
      expect(thrown(() => parseWait([Op.WAIT, 1, ['k'], w], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    }
    expect(thrown(() => parseWait([Op.WAIT, 1, [], 5], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => parseWait([Op.WAIT, 1, Array(MAX_WAIT_KEYS + 1).fill('k'), 5], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => wait.methods.wait.request(LIMITS, [['k'], undefined as never])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => parseGetWait([Op.GET_WAIT, 1, 'k'.repeat(17), 5], LIMITS)).code).toBe(ErrorCode.TOO_LARGE);
  });
});
