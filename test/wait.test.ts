/**
 * WAIT through the RESP door against real processes: the number of replicas that applied
 * the connection's writes, at once when all have, and after the timeout with fewer when one
 * replica is frozen (SIGSTOP). The write-ack policy is "one", so a write is answered while
 * the frozen replica still lags: WAIT is how a Redis client asks for more.
 */
import Redis from 'ioredis';
import { client, startReplica, startRouterWithResp, stopAll, waitInSync, type KvndbProcess, type RouterHandle } from './helpers/cluster';

jest.setTimeout(60000);

let router: RouterHandle & { respPort: number };
let replicas: KvndbProcess[];
let redis: Redis;

beforeAll(async () => {
  router = await startRouterWithResp(['--write-ack', 'one']);
  replicas = [startReplica('memory', router.port, { name: 'w1' }), startReplica('memory', router.port, { name: 'w2' })];
  const db = await client(router.port);
  try {
    await waitInSync(db, 2);
  } finally {
    await db.close();
  }
  redis = new Redis({ host: '127.0.0.1', port: router.respPort, lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});

afterAll(async () => {
  for (const r of replicas ?? []) if (r.running) r.child.kill('SIGCONT');
  redis?.disconnect();
  await stopAll();
});

test('WAIT answers at once with every replica that applied the writes before it', async () => {
  await redis.set('wait:a', '1');
  const started = Date.now();
  expect(await redis.wait(2, 5000)).toBe(2);
  expect(Date.now() - started).toBeLessThan(4000);
  // Pipelined: the WAIT covers the SET sent just before it, whose answer is not in yet.
  const [[, set], [, n]] = (await redis.pipeline().set('wait:b', '2').wait(2, 5000).exec()) as [unknown, unknown][];
  expect(set).toBe('OK');
  expect(n).toBe(2);
});

test('with a replica frozen, WAIT gives up at its timeout with the replicas that did apply the write', async () => {
  replicas[1].child.kill('SIGSTOP');
  try {
    await redis.set('wait:c', '3');
    const started = Date.now();
    expect(await redis.wait(2, 400)).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    // Asking for no more than have applied it answers at once.
    expect(await redis.wait(1, 0)).toBe(1);
  } finally {
    replicas[1].child.kill('SIGCONT');
  }
  expect(await redis.wait(2, 10000)).toBe(2);
});

test('WAIT refuses arguments that are not integers, as Redis does', async () => {
  await expect(redis.call('WAIT', 'x', '10')).rejects.toThrow('ERR value is not an integer or out of range');
  await expect(redis.call('WAIT', '1', '-1')).rejects.toThrow('ERR timeout is negative');
});
