import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { time } from './time';
import { thrown } from '../testing/command-spec';

describe('TIME', () => {
  test("answered by the router (no replica read or write); the router's ms, retried after a reconnect", () => {
    expect(time.route).toBe('router');
    expect(time).not.toHaveProperty('toRead');
    expect(time).not.toHaveProperty('toWrite');
    expect(time.methods.time.request()).toEqual([Op.TIME, 0]);
    expect(time.methods.time.retryable).toBe(true);
    expect(time.methods.time.decode(1_700_000_000_123)).toBe(1_700_000_000_123);
    for (const bad of [null, '1', 1.5, -1]) expect(thrown(() => time.methods.time.decode(bad)).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});
