import { ErrorCode, KvndbError } from '@kvndb/shared';
import { Reconnector, type ReconnectingInfo } from './reconnector';

test('backoff doubles from the minimum up to the ceiling', () => {
  const r = new Reconnector({ maxDelayMs: 2000 });
  expect([1, 2, 3, 4, 5, 6, 7, 100].map((n) => r.delayAfter(n))).toEqual([50, 100, 200, 400, 800, 1600, 2000, 2000]);
  expect(new Reconnector({ maxDelayMs: 10 }).delayAfter(1)).toBe(10);
});

test('retries transient failures and announces each attempt with the delay it waits', async () => {
  const r = new Reconnector({ maxDelayMs: 40, minDelayMs: 10 });
  const seen: ReconnectingInfo[] = [];
  r.on('reconnecting', (info: ReconnectingInfo) => seen.push(info));
  const stamps: number[] = [];
  const result = await r.run(async (n) => {
    stamps.push(Date.now());
    if (n < 4) throw KvndbError.connectionClosed('refused');
    return 'up';
  });
  expect(result).toBe('up');
  expect(seen).toEqual([
    { attempt: 1, delayMs: 0 },
    { attempt: 2, delayMs: 10 },
    { attempt: 3, delayMs: 20 },
    { attempt: 4, delayMs: 40 },
  ]);
  // The waits really happened (timers may fire a little late, never early).
  expect(stamps[3] - stamps[0]).toBeGreaterThanOrEqual(65);
  expect(r.running).toBe(false);
});

test('AUTH_FAILED and VERSION_MISMATCH end the loop at once', async () => {
  for (const err of [KvndbError.authFailed(), KvndbError.versionMismatch(1, 2)]) {
    const r = new Reconnector({ maxDelayMs: 10 });
    const seen: ReconnectingInfo[] = [];
    r.on('reconnecting', (info: ReconnectingInfo) => seen.push(info));
    let calls = 0;
    await expect(
      r.run(async () => {
        calls++;
        throw err;
      }),
    ).rejects.toBe(err);
    expect(calls).toBe(1);
    expect(seen).toEqual([{ attempt: 1, delayMs: 0 }]);
  }
});

test('stop() ends a waiting loop with the given reason and no further attempts', async () => {
  const r = new Reconnector({ maxDelayMs: 60000, minDelayMs: 60000 });
  let calls = 0;
  const running = r.run(async () => {
    calls++;
    throw KvndbError.connectionClosed('refused');
  });
  await new Promise((res) => setTimeout(res, 20));
  const reason = KvndbError.connectionClosed('client closed');
  r.stop(reason);
  await expect(running).rejects.toBe(reason);
  expect(calls).toBe(1);
  expect(r.running).toBe(false);
});

test('only one loop at a time', async () => {
  const r = new Reconnector({ maxDelayMs: 10 });
  let release!: () => void;
  const first = r.run(() => new Promise<void>((res) => (release = res)));
  await expect(r.run(async () => undefined)).rejects.toMatchObject({ code: ErrorCode.INTERNAL });
  release();
  await first;
});
