import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { append } from './append';
import { Answer } from './command';
import { LIMITS, thrown, wire } from '../testing/command-spec';

describe('APPEND', () => {
  test("append() passes the router, which puts its value limit into the op for the replicas", () => {
    const msg = append.methods.append.request(LIMITS, ['k', 'héllo']);
    expect(msg).toEqual([Op.APPEND, 0, 'k', Buffer.from('héllo')]);
    const [op] = append.toWrite(wire(msg), LIMITS);
    expect([op[0], op[1], Buffer.from(op[2] as Uint8Array).toString(), op[3]]).toEqual(['a', 'k', 'héllo', LIMITS.maxValueBytes]);
    expect(append.answer).toBe(Answer.First);
    expect(append.methods.append.retryable).toBe(false);
  });

  test('bad keys and values, and a value over the limit alone, are refused by the client and the router', () => {
    expect(thrown(() => append.methods.append.request(LIMITS, ['', 'v'])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => append.methods.append.request(LIMITS, ['k', 5 as never])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => append.methods.append.request(LIMITS, ['k', 'x'.repeat(33)])).code).toBe(ErrorCode.TOO_LARGE);
    expect(thrown(() => append.toWrite([Op.APPEND, 1, 'k', 'text'], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => append.toWrite([Op.APPEND, 1, 'k', Buffer.alloc(33)], LIMITS)).code).toBe(ErrorCode.TOO_LARGE);
    expect(append.toWrite([Op.APPEND, 1, 'k', Buffer.alloc(32)], LIMITS)).toHaveLength(1);
  });

  test('decode: the new length', () => {
    expect(append.methods.append.decode(12)).toBe(12);
    for (const bad of [-1, 1.5, '12', null]) expect(thrown(() => append.methods.append.decode(bad)).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});
