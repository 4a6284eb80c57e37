/**
 * A SQLite replica's identity and its lock on the data file (issue 12, "Two `kvndb sqlite`
 * on one file"), and the replicas' reconnect backoff flag, on real processes.
 */
import path from 'node:path';
import type { KvndbClient } from '@kvndb/client';
import {
  closeClients,
  openClient,
  KvndbProcess,
  readSqliteReplica,
  startReplica,
  startRouter,
  stopAll,
  tempDir,
  waitInSync,
  waitUntil,
} from './helpers/cluster';

jest.setTimeout(60000);

afterEach(async () => {
  await closeClients();
  await stopAll();
});

async function inSyncNames(db: KvndbClient): Promise<string[]> {
  return (await db.status()).replicas
    .filter((r) => r.state === 'in-sync')
    .map((r) => r.name)
    .sort();
}

test('a second kvndb sqlite on the same file exits 2 at once, naming the file and the first process; after SIGKILL of the first a new one starts', async () => {
  const router = await startRouter();
  const file = path.join(tempDir(), 'data.sqlite');
  const first = startReplica('sqlite', router.port, { file });
  const db = await openClient(router.port);
  await waitInSync(db, 1);
  await db.mset({ a: '1', b: '2' });
  const [name] = await inSyncNames(db);
  const before = readSqliteReplica(file);
  expect(before.contents.size).toBe(2);

  const second = startReplica('sqlite', router.port, { file });
  await second.exited;
  expect(second.exitCode).toBe(2);
  const lines = second.output.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`kvndb: ${file} is already served by another kvndb process (pid ${first.child.pid})`);
  // It never reached the router, and the file is as it was.
  expect((await db.status()).replicas.map((r) => r.name)).toEqual([name]);
  expect(readSqliteReplica(file)).toEqual(before);
  expect(first.running).toBe(true);

  // The kernel drops the lock with the process, SIGKILL included: no stale lock to clean up.
  await first.kill('SIGKILL');
  const third = startReplica('sqlite', router.port, { file });
  await third.waitFor(/joined router/);
  await waitUntil('the restarted replica is in sync', async () => (await inSyncNames(db)).includes(name));
  expect(await db.get('a')).toBe('1');
  expect(third.running).toBe(true);
});

test('the default name of a SQLite replica is stable across restarts of its file and differs between files', async () => {
  const router = await startRouter();
  // The same file name in two directories: two replicas, two names.
  const fileA = path.join(tempDir(), 'replica.sqlite');
  const fileB = path.join(tempDir(), 'replica.sqlite');
  let a = startReplica('sqlite', router.port, { file: fileA });
  startReplica('sqlite', router.port, { file: fileB });
  const db = await openClient(router.port);
  await waitInSync(db, 2);
  const names = await inSyncNames(db);
  expect(names).toHaveLength(2);
  expect(names[0]).not.toBe(names[1]);
  for (const n of names) expect(n).toMatch(/^sqlite:replica\.sqlite@.+-[0-9a-f]{6}$/);
  await db.set('k', 'v');

  await a.stop();
  await waitUntil('replica A is gone', async () => (await inSyncNames(db)).length === 1);
  const [left] = await inSyncNames(db);
  const nameA = names.find((n) => n !== left)!;
  a = startReplica('sqlite', router.port, { file: fileA });
  await waitUntil('replica A is back under its own name', async () => (await inSyncNames(db)).join() === names.join());
  expect(a.output).toContain(nameA);
});

test('kvndb standalone takes the same lock: a second one on the same --data exits 2', async () => {
  const dir = tempDir();
  const first = new KvndbProcess(['standalone', '127.0.0.1', '0', '--data', dir]);
  await first.waitFor(/ready/, 30000);
  const second = new KvndbProcess(['standalone', '127.0.0.1', '0', '--data', dir]);
  await second.exited;
  expect(second.exitCode).toBe(2);
  expect(second.output).toContain(`kvndb: ${path.join(dir, 'kvndb.sqlite')} is already served by another kvndb process (pid ${first.child.pid})`);
  expect(second.output).not.toMatch(/listening/);
  expect(first.running).toBe(true);
});

test('--max-retry-delay caps the reconnect backoff of a replica', async () => {
  // Nothing listens on port 1 of loopback: every attempt is refused at once.
  const replica = startReplica('memory', 1, { args: ['--max-retry-delay', '50'] });
  await replica.waitFor(/\(attempt 12\)/, 20000);
  // Log lines start with HH:MM:SS.mmm. From attempt 6 on, the default cap (1000 ms) would
  // space attempts 1000 ms apart; capped at 50 ms they come a few tens of ms apart.
  const times = [...replica.output.matchAll(/^(\d\d):(\d\d):(\d\d)\.(\d{3}) .*connecting to router at 127\.0\.0\.1:1 \(attempt (\d+)\)/gm)]
    .filter((m) => Number(m[5]) >= 6 && Number(m[5]) <= 12)
    .map((m) => ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number(m[4]));
  expect(times).toHaveLength(7);
  const gaps = times
    .slice(1)
    .map((t, i) => (t - times[i] + 86_400_000) % 86_400_000)
    .sort((x, y) => x - y);
  expect(gaps[Math.floor(gaps.length / 2)]).toBeLessThan(500);
});
