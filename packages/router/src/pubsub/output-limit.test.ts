import { DEFAULT_PUBSUB_OUTPUT_LIMIT, OutputGuard, formatOutputLimitConfig, parseOutputLimitConfig } from './output-limit';

describe('OutputGuard (client-output-buffer-limit pubsub)', () => {
  const limit = { hard: 1000, soft: 100, softSeconds: 2 };

  test('past the hard limit at once', () => {
    const g = new OutputGuard();
    expect(g.check(999, limit, 0)).toBeNull();
    expect(g.check(1000, limit, 0)).toMatch(/more than 1000 bytes of pub\/sub messages unread/);
  });

  test('above the soft limit for softSeconds, not less; dropping below resets the clock', () => {
    const g = new OutputGuard();
    expect(g.check(150, limit, 10_000)).toBeNull();
    expect(g.check(150, limit, 11_999)).toBeNull();
    expect(g.check(50, limit, 11_999)).toBeNull();
    expect(g.check(150, limit, 12_000)).toBeNull();
    expect(g.check(150, limit, 14_000)).toMatch(/for 2 s/);
  });

  test('0 turns a limit off, as in Redis', () => {
    const g = new OutputGuard();
    expect(g.check(1e12, { hard: 0, soft: 0, softSeconds: 0 }, 0)).toBeNull();
  });
});

describe('CONFIG SET/GET client-output-buffer-limit', () => {
  test("Redis's default and form", () => {
    expect(formatOutputLimitConfig(DEFAULT_PUBSUB_OUTPUT_LIMIT)).toBe('normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60');
  });

  test("Redis's units and error words", () => {
    expect(parseOutputLimitConfig('pubsub 1mb 512kb 10')).toEqual({ hard: 1048576, soft: 524288, softSeconds: 10 });
    expect(parseOutputLimitConfig('pubsub 1m 2k 0')).toEqual({ hard: 1000000, soft: 2000, softSeconds: 0 });
    expect(parseOutputLimitConfig('pubsub 1x 512kb 10')).toEqual({ error: 'Error in hard, soft or soft_seconds setting in buffer limit configuration.' });
    expect(parseOutputLimitConfig('foo 1 2 3')).toEqual({ error: 'Invalid client class specified in buffer limit configuration.' });
    expect(parseOutputLimitConfig('pubsub 1')).toEqual({ error: 'Wrong number of arguments in buffer limit configuration.' });
    expect(parseOutputLimitConfig('normal 0 0 0')).toHaveProperty('error');
  });
});
