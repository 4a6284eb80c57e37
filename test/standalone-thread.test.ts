/**
 * `kvndb standalone --embedded-replica thread`: its SQLite replica on a worker thread, as real
 * processes: reads answered in the router's thread from the same file and its cache see
 * every acknowledged write, under concurrent writers through both doors; the thread's death
 * is a replica's (clear errors, no hangs, a clean stop); a SIGKILL mid-load loses no
 * acknowledged write; the same file moves between inline (the default) and the thread.
 */
import path from 'node:path';
import Redis from 'ioredis';
import { KvndbError } from '@kvndb/shared';
import {
  closeClients,
  expectAckedPresent,
  KvndbProcess,
  openClient,
  readSqliteReplica,
  stopAll,
  tempDir,
  waitUntil,
  Writer,
} from './helpers/cluster';

jest.setTimeout(90000);

const redises: Redis[] = [];

afterEach(async () => {
  for (const r of redises.splice(0)) r.disconnect();
  await closeClients();
  await stopAll();
});

interface Standalone {
  proc: KvndbProcess;
  port: number;
  respPort: number;
}

async function startStandalone(dir: string, extra: string[] = [], env: Record<string, string> = {}): Promise<Standalone> {
  // Thread mode unless the test names another.
  const mode = extra.includes('--embedded-replica') ? [] : ['--embedded-replica', 'thread'];
  const proc = new KvndbProcess(['standalone', '127.0.0.1', '0', '--data', dir, '--resp-port', '0', ...mode, ...extra], env);
  const m = await proc.waitFor(/kvndb standalone listening on 127\.0\.0\.1:(\d+)/, 30000);
  const resp = await proc.waitFor(/RESP .*listening on 127\.0\.0\.1:(\d+)/, 30000);
  await proc.waitFor(/^ready$/m, 30000);
  return { proc, port: Number(m[1]), respPort: Number(resp[1]) };
}

async function redis(port: number): Promise<Redis> {
  const r = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
  redises.push(r);
  await r.connect();
  return r;
}

test('a read right after an acknowledged write sees it, with concurrent writers to the same keys, through both doors', async () => {
  const s = await startStandalone(tempDir());
  const natives = [await openClient(s.port), await openClient(s.port), await openClient(s.port)];
  const resps = [await redis(s.respPort), await redis(s.respPort), await redis(s.respPort)];
  const keys = ['c0', 'c1', 'c2', 'c3'];
  const stale: string[] = [];
  // Each writer increments a shared counter and, once acknowledged with n, reads it through
  // another connection and the other door: the read must be n or more. Reads between
  // increments fill the router's cache; each increment must drop the cached value.
  const writer = async (w: number): Promise<void> => {
    for (let round = 0; round < 150; round++) {
      const key = keys[(w + round) % keys.length];
      const viaResp = (w + round) % 2 === 0;
      const n = viaResp ? await resps[w].incr(key) : await natives[w].incr(key);
      const reader = (w + 1) % 3;
      const got = Number(viaResp ? await natives[reader].get(key) : await resps[reader].get(key));
      if (!(got >= n)) stale.push(`${key}: incremented to ${n}, then read ${got}`);
      const [mgot] = await natives[w].mget([key, 'none']);
      if (!(Number(mgot) >= n)) stale.push(`${key}: incremented to ${n}, then MGET read ${mgot}`);
    }
  };
  // And per-writer keys overwritten with SET: the read after each ack is exactly that value.
  const setter = async (w: number): Promise<void> => {
    for (let i = 0; i < 150; i++) {
      const key = `own${w}`;
      if (i % 2 === 0) await natives[w].set(key, `v${i}`);
      else await resps[w].set(key, `v${i}`);
      const got = i % 2 === 0 ? await resps[(w + 1) % 3].get(key) : await natives[(w + 2) % 3].get(key);
      if (got !== `v${i}`) stale.push(`${key}: set to v${i}, then read ${got}`);
    }
  };
  await Promise.all([writer(0), writer(1), writer(2), setter(0), setter(1), setter(2)]);
  expect(stale).toEqual([]);
  const total = (await Promise.all(keys.map((k) => natives[0].get(k)))).reduce((a, v) => a + Number(v), 0);
  expect(total).toBe(3 * 150);

  // Writes that change keys other than the one they name, or many at once, drop those too.
  const r = resps[0];
  await r.set('from', 'x');
  expect(await r.get('from')).toBe('x');
  expect(await r.get('to')).toBeNull();
  await r.rename('from', 'to');
  expect(await r.get('from')).toBeNull();
  expect(await r.get('to')).toBe('x');
  await r.multi().set('t1', 'a').incr('c0').del('to').exec();
  expect(await r.get('to')).toBeNull();
  expect(await r.get('t1')).toBe('a');
  expect(await r.get('c0')).toBe(String(Number((await natives[0].get('c0')) ?? 0)));
  await r.rpush('list', 'a');
  await expect(r.get('list')).rejects.toThrow(/WRONGTYPE/);
  await r.flushall();
  expect(await r.mget('t1', 'c0', 'own0')).toEqual([null, null, null]);
  // Expiry is judged by the router's clock on cached values as on stored ones.
  await r.set('soon', 'gone', 'PX', 150);
  expect(await r.get('soon')).toBe('gone');
  await waitUntil('soon expired', async () => (await r.get('soon')) === null, 5000);
});

test("the replica thread's death is a lost replica: clients get clear errors, not hangs, and the process still stops cleanly", async () => {
  const dir = tempDir();
  // TEST ONLY variable (replica/src/thread/replica-thread-main.ts): the thread exits after 200 writes.
  const s = await startStandalone(dir, [], { KVNDB_TEST_REPLICA_THREAD_EXIT_AFTER_WRITES: '200' });
  const db = await openClient(s.port);
  const r = await redis(s.respPort);
  const acked = new Map<string, string>();
  const errors: string[] = [];
  const write = async (w: number): Promise<void> => {
    for (let i = 0; i < 100; i++) {
      const key = `k${w}:${i}`;
      try {
        if (w % 2 === 0) await db.set(key, `v${i}`);
        else await r.set(key, `v${i}`);
        acked.set(key, `v${i}`);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
  };
  // Every write is answered, one way or the other (a hang would time the test out).
  await Promise.all([write(0), write(1), write(2), write(3)]);
  await s.proc.waitFor(/the embedded replica's thread exited \(code 70\)/, 10000);
  expect(acked.size).toBeGreaterThan(0);
  expect(acked.size).toBeLessThanOrEqual(200);
  expect(errors.length).toBe(400 - acked.size);
  // The writes in flight when it died: not applied by enough replicas; those after: no replica.
  for (const e of errors) expect(e).toMatch(/replica|NO_REPLICAS/i);
  expect(s.proc.output).toMatch(/replica standalone \(standalone#\d+\) (disconnected|lost)/);

  // Reads and writes now fail at once with NO_REPLICAS through both doors.
  await expect(db.get('k0:0')).rejects.toMatchObject({ code: 'NO_REPLICAS' });
  await expect(db.set('after', 'x')).rejects.toBeInstanceOf(KvndbError);
  await expect(r.get('k1:0')).rejects.toThrow(/replica/i);
  await expect(r.set('after', 'x')).rejects.toThrow(/replica/i);

  // SIGTERM still stops the process, with no thread to keep it alive.
  await closeClients();
  for (const x of redises.splice(0)) x.disconnect();
  await s.proc.stop(15000);
  expect(s.proc.signal).toBeNull();
  expect(s.proc.exitCode).toBe(0);

  // Every acknowledged write was committed before it was acknowledged.
  const after = await startStandalone(dir);
  const check = await openClient(after.port);
  const keys = [...acked.keys()];
  const values = keys.length > 0 ? await check.mget(keys) : [];
  expect(values).toEqual(keys.map((k) => acked.get(k)));
});

test('SIGKILL mid-load: after a restart every acknowledged write is in the file and served', async () => {
  const dir = tempDir();
  const s = await startStandalone(dir);
  const db = await openClient(s.port);
  const writer = new Writer(db, 'w:', 8).start();
  await waitUntil('1500 writes acknowledged', () => writer.acked.size >= 1500, 30000);
  await s.proc.kill('SIGKILL');
  await writer.stop();
  await closeClients();

  const file = path.join(dir, 'kvndb.sqlite');
  expectAckedPresent(readSqliteReplica(file).contents, writer);
  const again = await startStandalone(dir);
  const check = await openClient(again.port);
  const keys = [...writer.acked.keys()].slice(0, 500);
  const got = await check.mget(keys);
  keys.forEach((k, i) => expect(Number(String(got[i]).slice(1))).toBeGreaterThanOrEqual(Number(writer.acked.get(k)!.slice(1))));
  await again.proc.stop();
  expect(again.proc.exitCode).toBe(0);
});

test('inline and thread mode serve the same file in turn', async () => {
  const dir = tempDir();
  const s = await startStandalone(dir, ['--embedded-replica', 'inline']);
  const db = await openClient(s.port);
  const r = await redis(s.respPort);
  for (let i = 0; i < 50; i++) {
    await r.set('k', String(i));
    expect(await db.get('k')).toBe(String(i));
  }
  expect((await db.status()).replicas).toMatchObject([{ name: 'standalone', state: 'in-sync' }]);
  await closeClients();
  for (const x of redises.splice(0)) x.disconnect();
  await s.proc.stop();
  expect(s.proc.exitCode).toBe(0);
  // The same file, now served by the thread.
  const t = await startStandalone(dir);
  expect(await (await openClient(t.port)).get('k')).toBe('49');
});
