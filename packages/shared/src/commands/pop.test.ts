import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { pop } from './pop';
import { LIMITS, thrown, wire } from '../testing/command-spec';

describe('POP', () => {
  test('pop() takes one value from the head, or the tail; popMany() a count; the router makes one "P" op', () => {
    const msg = pop.methods.pop.request(LIMITS, ['q']);
    expect(msg).toEqual([Op.POP, 0, ['q'], null, true, null]);
    expect(pop.toWrite(wire(msg), LIMITS)).toEqual([['P', ['q'], null, true]]);
    expect(pop.methods.pop.request(LIMITS, ['q', { end: 'tail' }])).toEqual([Op.POP, 0, ['q'], null, false, null]);
    expect(pop.methods.popMany.request(LIMITS, ['q', 3])).toEqual([Op.POP, 0, ['q'], 3, true, null]);
    expect(pop.methods.pop.retryable).toBe(false);
  });

  test('waitMs: 0 does not wait, Infinity is -1 (forever); the client knows how long the router may hold it', () => {
    expect(pop.methods.pop.request(LIMITS, ['q', { waitMs: 0 }])[5]).toBeNull();
    expect(pop.methods.pop.request(LIMITS, ['q', { waitMs: 250 }])[5]).toBe(250);
    expect(pop.methods.pop.request(LIMITS, ['q', { waitMs: Infinity }])[5]).toBe(-1);
    expect(pop.methods.pop.waitMs(['q', { waitMs: 250 }])).toBe(250);
    expect(pop.methods.popMany.waitMs(['q', 2, { waitMs: Infinity }])).toBe(-1);
    expect(pop.methods.pop.waitMs(['q'])).toBe(0);
    expect(pop.waitMs([Op.POP, 1, ['q'], null, true, 250])).toBe(250);
    expect(pop.waitMs([Op.POP, 1, ['q'], null, true, null])).toBe(0);
    expect(pop.waitKeys([Op.POP, 1, ['a', 'b'], null, true, -1])).toEqual(['a', 'b']);
  });

  test('bad keys, counts, ends and waits are refused by the client and the router', () => {
    expect(thrown(() => pop.methods.pop.request(LIMITS, [''])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => pop.methods.pop.request(LIMITS, ['q', { end: 'middle' as never }])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => pop.methods.pop.request(LIMITS, ['q', { waitMs: -5 }])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => pop.methods.popMany.request(LIMITS, ['q', 0])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => pop.toWrite([Op.POP, 1, [], null, true, null], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => pop.toWrite([Op.POP, 1, 'q', null, true, null], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => pop.toWrite([Op.POP, 1, ['q'], -1, true, null], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => pop.toWrite([Op.POP, 1, ['q'], null, true, -2], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => pop.toWrite([Op.POP, 1, ['q'], null, 'left', null], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => pop.toWrite([Op.POP, 1, ['x'.repeat(17)], null, true, null], LIMITS)).code).toBe(ErrorCode.TOO_LARGE);
  });

  test('decode: [key, values, left] or nil', () => {
    const answer = ['q', [Buffer.from('a'), Buffer.from('b')], 4];
    expect(pop.methods.pop.decode(answer)).toBe('a');
    expect(pop.methods.popBuffer.decode(answer)).toEqual(Buffer.from('a'));
    expect(pop.methods.popMany.decode(answer)).toEqual(['a', 'b']);
    expect(pop.methods.popManyBuffers.decode(answer)).toEqual([Buffer.from('a'), Buffer.from('b')]);
    expect(pop.methods.pop.decode(null)).toBeNull();
    expect(pop.methods.popMany.decode(null)).toEqual([]);
    for (const bad of [5, ['q'], 'x', [1, []]]) expect(thrown(() => pop.methods.pop.decode(bad)).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});
