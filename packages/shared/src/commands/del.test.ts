import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { Answer } from './command';
import { del } from './del';
import { LIMITS, thrown, wire } from '../testing/command-spec';

describe('DEL', () => {
  test('the request passes the router as one delete op; not retried; answered by that op', () => {
    const msg = del.methods.del.request(LIMITS, ['ключ']);
    expect(msg).toEqual([Op.DEL, 0, 'ключ']);
    expect(del.toWrite(wire(msg), LIMITS)).toEqual([['d', 'ключ']]);
    expect(del.methods.del.retryable).toBe(false);
    expect(del.answer).toBe(Answer.First);
  });

  test('bad keys are refused by the client and the router alike', () => {
    for (const key of ['', 0, null, undefined] as unknown[]) {
      expect(thrown(() => del.methods.del.request(LIMITS, [key as string])).code).toBe(ErrorCode.BAD_REQUEST);
      expect(thrown(() => del.toWrite([Op.DEL, 1, key], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    }
    for (const err of [thrown(() => del.methods.del.request(LIMITS, ['x'.repeat(17)])), thrown(() => del.toWrite([Op.DEL, 1, 'x'.repeat(17)], LIMITS))]) {
      expect([err.code, err.details]).toEqual([ErrorCode.TOO_LARGE, { size: 17, limit: 16 }]);
    }
  });

  test('decode: whether the key existed', () => {
    expect(del.methods.del.decode(true)).toBe(true);
    expect(del.methods.del.decode(false)).toBe(false);
    for (const bad of [null, 0, [true]]) expect(thrown(() => del.methods.del.decode(bad)).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});
