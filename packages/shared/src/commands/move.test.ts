import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { Answer } from './command';
import { move } from './move';
import { LIMITS, thrown, wire } from '../testing/command-spec';

describe('MOVE (RENAME, RENAMENX, COPY)', () => {
  test('each method sends its flags; the router makes one m op of them', () => {
    const cases: [unknown[], unknown][] = [
      [move.methods.rename.request(LIMITS, ['a', 'b']), ['m', 'a', 'b', {}]],
      [move.methods.renameNx.request(LIMITS, ['a', 'b']), ['m', 'a', 'b', { nx: true }]],
      [move.methods.copy.request(LIMITS, ['a', 'b']), ['m', 'a', 'b', { copy: true, nx: true }]],
      [move.methods.copy.request(LIMITS, ['a', 'b', { replace: false }]), ['m', 'a', 'b', { copy: true, nx: true }]],
      [move.methods.copy.request(LIMITS, ['a', 'b', { replace: true }]), ['m', 'a', 'b', { copy: true }]],
    ];
    for (const [msg, op] of cases) {
      expect(msg[0]).toBe(Op.MOVE);
      expect(move.toWrite(wire(msg), LIMITS)).toEqual([op]);
    }
    expect(move.answer).toBe(Answer.First);
    for (const m of Object.values(move.methods)) expect(m.retryable).toBe(false);
    // Unset and false flags are dropped.
    expect(move.toWrite([Op.MOVE, 1, 'a', 'b', { nx: false, copy: null }], LIMITS)).toEqual([['m', 'a', 'b', {}]]);
  });

  test('a copy onto itself is refused in Redis words; a rename onto itself is left to the replicas', () => {
    expect(thrown(() => move.methods.copy.request(LIMITS, ['a', 'a'])).message).toBe('source and destination objects are the same');
    expect(thrown(() => move.toWrite([Op.MOVE, 1, 'a', 'a', { copy: true }], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(move.toWrite([Op.MOVE, 1, 'a', 'a', {}], LIMITS)).toEqual([['m', 'a', 'a', {}]]);
  });

  test('bad keys and flags are refused', () => {
    for (const [from, to] of [['', 'b'], ['a', ''], ['a', 3], ['k'.repeat(17), 'b'], ['a', 'k'.repeat(17)]]) {
      expect(thrown(() => move.toWrite([Op.MOVE, 1, from, to, {}], LIMITS)).code).toMatch(/BAD_REQUEST|TOO_LARGE/);
    }
    expect(thrown(() => move.methods.rename.request(LIMITS, ['', 'b'])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => move.toWrite([Op.MOVE, 1, 'a', 'b', { replace: true }], LIMITS)).message).toMatch(/unknown MOVE flag "replace"/);
    expect(thrown(() => move.toWrite([Op.MOVE, 1, 'a', 'b', { nx: 1 }], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => move.toWrite([Op.MOVE, 1, 'a', 'b', ['nx']], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
  });

  test('decode: a boolean', () => {
    expect(move.methods.rename.decode(true)).toBe(true);
    expect(move.methods.copy.decode(false)).toBe(false);
    expect(thrown(() => move.methods.renameNx.decode(1)).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});
