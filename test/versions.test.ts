/**
 * Versions, updated times, compare-and-set, counters and expiry through @kvndb/client
 * against real processes (a router and two SQLite replicas through the kvndb binary).
 * What an application relies on: a version names the write that set a key, a put on a
 * stale version is refused and changes nothing, concurrent increments are never lost,
 * and the two replicas end with identical files, versions and expiries included.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCode, KvndbError, type KvndbClient } from '@kvndb/client';
import { closeClients, openClient, sleep, sqliteCluster, startRouter, stopAll, tempDir, waitInSync, type RouterHandle } from './helpers/cluster';

jest.setTimeout(60000);

let router: RouterHandle;
let files: string[];
let db: KvndbClient;

beforeAll(async () => {
  router = await startRouter(['--write-ack', 'all']);
  ({ files } = sqliteCluster(tempDir(), ['v1', 'v2'], router.port));
  db = await openClient(router.port);
  await waitInSync(db, 2);
});

afterAll(async () => {
  await closeClients();
  await stopAll();
});

test('a put answers with the version it gave the key, which reads then report with the updated time', async () => {
  const before = Date.now();
  const first = await db.put('v:doc', 'one');
  expect(first.applied).toBe(true);
  expect(first.version).toBeGreaterThan(0);
  const entry = await db.getEntry('v:doc');
  expect(entry).not.toBeNull();
  expect(entry!.value.toString()).toBe('one');
  expect(entry!.version).toBe(first.version);
  expect(entry!.updated).toBeGreaterThanOrEqual(before - 1000);
  expect(entry!.expires).toBe(0);
  const second = await db.put('v:doc', 'two');
  expect(second.version).toBeGreaterThan(first.version);
  expect((await db.mgetEntries(['v:doc', 'v:none'])).map((e) => e && [e.value.toString(), e.version])).toEqual([['two', second.version], null]);
});

test('compare-and-set: a put on a stale version is refused and changes nothing; ifVersion 0 means "must not exist"', async () => {
  const { version } = await db.put('v:cas', 'a');
  expect(await db.put('v:cas', 'b', { ifVersion: version })).toEqual({ applied: true, version: expect.any(Number) });
  expect(await db.put('v:cas', 'c', { ifVersion: version })).toEqual({ applied: false, version: 0 });
  expect(await db.get('v:cas')).toBe('b');
  expect((await db.put('v:new', 'x', { ifVersion: 0 })).applied).toBe(true);
  expect((await db.put('v:new', 'y', { ifVersion: 0 })).applied).toBe(false);
  expect(await db.set('v:new', 'z', { ifValue: 'x' })).toBe(true);
  expect(await db.set('v:new', 'w', { ifValue: 'x' })).toBe(false);
  expect(await db.get('v:new')).toBe('z');
  await expect(db.put('v:new', 'q', { ifVersion: 1, ifAbsent: true })).rejects.toMatchObject({ code: ErrorCode.BAD_REQUEST });
});

test('concurrent compare-and-set loops from several clients lose no update', async () => {
  const clients = [db, await openClient(router.port), await openClient(router.port)];
  await db.set('v:counter', '0');
  const perClient = 30;
  await Promise.all(
    clients.map(async (c) => {
      for (let done = 0; done < perClient; ) {
        const e = await c.getEntry('v:counter');
        const next = String(Number(e!.value.toString()) + 1);
        if ((await c.put('v:counter', next, { ifVersion: e!.version })).applied) done++;
      }
    }),
  );
  expect(await db.get('v:counter')).toBe(String(perClient * clients.length));
});

test('incr from several clients at once is exact; a non-number fails with NOT_A_NUMBER and changes nothing', async () => {
  const clients = [db, await openClient(router.port), await openClient(router.port)];
  const results = await Promise.all(clients.flatMap((c) => Array.from({ length: 100 }, () => c.incr('v:hits'))));
  expect(new Set(results).size).toBe(300);
  expect(Math.max(...results)).toBe(300);
  expect(await db.get('v:hits')).toBe('300');
  expect(await db.decr('v:hits', 50)).toBe(250);
  await db.set('v:text', 'hello');
  const err = await db.incr('v:text').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(KvndbError);
  expect((err as KvndbError).code).toBe(ErrorCode.NOT_A_NUMBER);
  expect(await db.get('v:text')).toBe('hello');
  await db.set('v:big', '9007199254740990');
  await expect(db.incr('v:big', 10)).rejects.toMatchObject({ code: ErrorCode.OVERFLOW });
  expect(await db.incrBig('v:big', 10)).toBe(9007199254741000n);
  await db.set('v:max', '9223372036854775807');
  await expect(db.incrBig('v:max')).rejects.toMatchObject({ code: ErrorCode.OVERFLOW });
});

test('latest() answers the most recently updated of several keys', async () => {
  await db.set('v:l:a', '1');
  await db.set('v:l:b', '2');
  await db.set('v:l:a', '3');
  const l = await db.latest(['v:l:b', 'v:l:a', 'v:l:none']);
  expect(l?.key).toBe('v:l:a');
  expect(l?.value.toString()).toBe('3');
  expect(await db.latest(['v:l:none'])).toBeNull();
});

test('a key set with a ttl is gone on time, from reads and from both replicas\' files', async () => {
  expect(await db.set('v:session', 'token', { ttlMs: 300 })).toBe(true);
  const ttl = await db.ttl('v:session');
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(300);
  expect(await db.ttl('v:counter')).toBe(-1);
  expect(await db.ttl('v:nothing')).toBe(-2);
  await db.set('v:kept', 'k', { ttlMs: 300 });
  expect(await db.persist('v:kept')).toBe(true);
  // As in Redis, a key without an expiry counts as never expiring for GT and LT.
  expect(await db.expire('v:kept', 100_000, { gt: true })).toBe(false);
  expect(await db.expire('v:kept', 100_000, { nx: true })).toBe(true);
  expect(await db.expire('v:kept', 200_000, { gt: true })).toBe(true);
  expect(await db.expire('v:kept', 50_000, { gt: true })).toBe(false);
  expect(await db.ttl('v:kept')).toBeGreaterThan(150_000);
  await sleep(450);
  expect(await db.get('v:session')).toBeNull();
  expect(await db.has('v:session')).toBe(false);
  expect(await db.get('v:kept')).toBe('k');
  // The router's sweep removes it from the files too, by a write every replica applies.
  let rows: number[] = [];
  for (let i = 0; i < 50; i++) {
    rows = files.map((f) => {
      const file = new Database(f, { readonly: true, fileMustExist: true });
      try {
        return (file.prepare("SELECT count(*) AS n FROM kv WHERE key = 'v:session'").get() as { n: number }).n;
      } finally {
        file.close();
      }
    });
    if (rows.every((n) => n === 0)) break;
    await sleep(100);
  }
  expect(rows).toEqual([0, 0]);
});

test('both replicas hold identical rows, versions, times and expiries included', async () => {
  await db.set('v:final', 'done');
  await stopAll();
  const dump = (f: string) => {
    const file = new Database(f, { readonly: true, fileMustExist: true });
    try {
      return file.prepare('SELECT key, hex(value) AS v, version, updated, expires FROM kv ORDER BY key').all();
    } finally {
      file.close();
    }
  };
  const [a, b] = files.map(dump);
  expect(a.length).toBeGreaterThan(10);
  expect(b).toEqual(a);
  expect(path.basename(files[0])).not.toBe(path.basename(files[1]));
});
