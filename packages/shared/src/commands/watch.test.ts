import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { decodeWatchPayload } from '../protocol/changes';
import { LIMITS, thrown, wire } from '../testing/command-spec';
import { parseUnwatch, unwatch } from './unwatch';
import { MAX_WATCH_KEYS, parseWatch, watch, watchRequest } from './watch';

describe('WATCH', () => {
  test('a prefix or a key list, from a seq or nil, passes the client and the router alike', () => {
    expect(watch.route).toBe('router');
    const byPrefix = watchRequest(LIMITS, 'user:', 12);
    expect(byPrefix).toEqual([Op.WATCH, 0, 'user:', 12]);
    expect(parseWatch(wire(byPrefix), LIMITS)).toEqual({ selector: { prefix: 'user:' }, fromSeq: 12 });
    expect(parseWatch(wire(watchRequest(LIMITS, ['a', 'b'], null)), LIMITS)).toEqual({ selector: { keys: ['a', 'b'] }, fromSeq: null });
    expect(parseWatch([Op.WATCH, 1, '', 0], LIMITS)).toEqual({ selector: { prefix: '' }, fromSeq: 0 });
  });

  test('bad selectors and seqs are BAD_REQUEST; an oversized prefix or key TOO_LARGE', () => {
    for (const what of [5, null, {}, [], [''], [3]] as unknown[]) {
      expect(thrown(() => parseWatch([Op.WATCH, 1, what, null], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    }
    for (const from of [-1, 1.5, '3', true]) {
      expect(thrown(() => parseWatch([Op.WATCH, 1, 'p', from], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
      expect(thrown(() => watchRequest(LIMITS, 'p', from as number)).code).toBe(ErrorCode.BAD_REQUEST);
    }
    expect(thrown(() => parseWatch([Op.WATCH, 1, Array(MAX_WATCH_KEYS + 1).fill('k'), null], LIMITS)).message).toMatch(/watch a prefix instead/);
    expect(thrown(() => parseWatch([Op.WATCH, 1, 'p'.repeat(17), null], LIMITS)).code).toBe(ErrorCode.TOO_LARGE);
    expect(thrown(() => watchRequest(LIMITS, ['é'.repeat(9)], null)).code).toBe(ErrorCode.TOO_LARGE);
  });

  test('UNWATCH names the id of the WATCH request', () => {
    expect(unwatch.arity).toEqual([3, 3]);
    expect(parseUnwatch([Op.UNWATCH, 2, 7])).toBe(7);
    for (const bad of [0, -1, 'x', null]) expect(thrown(() => parseUnwatch([Op.UNWATCH, 2, bad])).code).toBe(ErrorCode.BAD_REQUEST);
  });

  test('an EVENT payload decodes to one event per change, each with the write\'s seq as version', () => {
    const events = decodeWatchPayload([9, 42, [['set', 'a', new Uint8Array([104, 105])], ['del', 'b', null], ['flush', '', null]]]);
    expect(events).toEqual([
      { epoch: 9, seq: 42, key: 'a', type: 'set', value: Buffer.from('hi'), version: 42 },
      { epoch: 9, seq: 42, key: 'b', type: 'del', version: 42 },
      { epoch: 9, seq: 42, key: '', type: 'flush', version: 42 },
    ]);
    for (const bad of [null, [1, 2], [1, 2, 'x'], [1, 2, [['nope', 'k', null]]], [1, 2, [['set', 5, null]]]]) {
      expect(thrown(() => decodeWatchPayload(bad)).code).toBe(ErrorCode.PROTOCOL_ERROR);
    }
  });
});
