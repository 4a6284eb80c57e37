import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { Answer } from './command';
import { push } from './push';
import { LIMITS, thrown, wire } from '../testing/command-spec';

describe('PUSH', () => {
  test('push() appends at the tail, pushFront() at the head; the router makes one "L" op', () => {
    const msg = push.methods.push.request(LIMITS, ['q', 'a', Buffer.from([0, 1])]);
    expect(msg).toEqual([Op.PUSH, 0, 'q', [Buffer.from('a'), Buffer.from([0, 1])], false, false]);
    expect(push.toWrite(wire(msg), LIMITS)).toEqual([['L', 'q', [Buffer.from('a'), Buffer.from([0, 1])], false, false]]);
    expect(push.methods.pushFront.request(LIMITS, ['q', 'x'])).toEqual([Op.PUSH, 0, 'q', [Buffer.from('x')], true, false]);
    // LPUSHX/RPUSHX: onlyIfList; nil flags are false.
    expect(push.toWrite([Op.PUSH, 1, 'q', [Buffer.from('x')], true, true], LIMITS)).toEqual([['L', 'q', [Buffer.from('x')], true, true]]);
    expect(push.toWrite([Op.PUSH, 1, 'q', [Buffer.from('x')]], LIMITS)).toEqual([['L', 'q', [Buffer.from('x')], false, false]]);
    expect(push.answer).toBe(Answer.First);
    expect(push.methods.push.retryable).toBe(false);
  });

  test('no values, bad keys or values, a value over the limit and bad flags are refused', () => {
    expect(thrown(() => push.methods.push.request(LIMITS, ['q'] as never)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => push.methods.push.request(LIMITS, ['', 'v'])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => push.methods.push.request(LIMITS, ['q', 'x'.repeat(33)])).code).toBe(ErrorCode.TOO_LARGE);
    expect(thrown(() => push.toWrite([Op.PUSH, 1, 'q', []], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => push.toWrite([Op.PUSH, 1, 'q', ['text']], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => push.toWrite([Op.PUSH, 1, 'q', Buffer.from('x')], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => push.toWrite([Op.PUSH, 1, 'q', [Buffer.alloc(33)]], LIMITS)).code).toBe(ErrorCode.TOO_LARGE);
    expect(thrown(() => push.toWrite([Op.PUSH, 1, 'q', [Buffer.from('x')], 1], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
  });

  test('decode: the new length', () => {
    expect(push.methods.push.decode(3)).toBe(3);
    for (const bad of [-1, 'x', null]) expect(thrown(() => push.methods.push.decode(bad)).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});
