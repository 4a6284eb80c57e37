import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { lmove } from './lmove';
import { lrem } from './lrem';
import { lset } from './lset';
import { ltrim } from './ltrim';
import { LIMITS, thrown, wire } from '../testing/command-spec';

describe('LREM, LTRIM, LSET, LMOVE', () => {
  test('each is one write op, built alike by the client and the router', () => {
    const v = Buffer.from('v');
    expect(lrem.toWrite(wire(lrem.methods.lrem.request(LIMITS, ['q', -2, 'v'])), LIMITS)).toEqual([['lr', 'q', -2, v]]);
    expect(ltrim.toWrite(wire(ltrim.methods.ltrim.request(LIMITS, ['q', 1, -1])), LIMITS)).toEqual([['lt', 'q', 1, -1]]);
    expect(lset.toWrite(wire(lset.methods.lset.request(LIMITS, ['q', -1, 'v'])), LIMITS)).toEqual([['ls', 'q', -1, v]]);
    expect(lmove.toWrite(wire(lmove.methods.lmove.request(LIMITS, ['a', 'b'])), LIMITS)).toEqual([['lm', 'a', 'b', true, false]]);
    expect(lmove.methods.lmove.request(LIMITS, ['a', 'b', 'tail', 'head'])).toEqual([Op.LMOVE, 0, 'a', 'b', false, true]);
  });

  test('bad indexes, values, keys and ends are refused', () => {
    expect(thrown(() => lrem.toWrite([Op.LREM, 1, 'q', 1.5, Buffer.from('v')], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => lrem.toWrite([Op.LREM, 1, 'q', 1, Buffer.alloc(33)], LIMITS)).code).toBe(ErrorCode.TOO_LARGE);
    expect(thrown(() => ltrim.toWrite([Op.LTRIM, 1, 'q', 0, '1'], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => lset.toWrite([Op.LSET, 1, 'q', 0, 'text'], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => lmove.toWrite([Op.LMOVE, 1, 'a', '', true, true], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => lmove.methods.lmove.request(LIMITS, ['a', 'b', 'up' as never])).code).toBe(ErrorCode.BAD_REQUEST);
  });

  test('decode', () => {
    expect(lrem.methods.lrem.decode(2)).toBe(2);
    expect(ltrim.methods.ltrim.decode(true)).toBeUndefined();
    expect(lmove.methods.lmove.decode(Buffer.from('x'))).toBe('x');
    expect(lmove.methods.lmove.decode(null)).toBeNull();
  });
});
