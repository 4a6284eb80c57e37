/**
 * The foundation, end to end: a real router and real memory replicas started as separate
 * processes through the kvndb binary, driven by @kvndb/client and by `kvndb cmd` over a pipe.
 */
import { spawn } from 'node:child_process';
import { ErrorCode, KvndbError } from '@kvndb/shared';
import type { KvndbClient } from '@kvndb/client';
import {
  closeClients,
  openClient,
  KVNDB_BIN,
  client,
  sleep,
  startReplica,
  startRouter,
  stopAll,
  waitInSync,
  waitUntil,
  type KvndbProcess,
  type RouterHandle,
} from './helpers/cluster';

jest.setTimeout(90000);

afterEach(async () => {
  await closeClients();
  await stopAll();
});

async function cluster(replicas: number, routerArgs: string[] = []): Promise<{ router: RouterHandle; reps: KvndbProcess[]; db: KvndbClient }> {
  const router = await startRouter(routerArgs);
  const reps: KvndbProcess[] = [];
  for (let i = 0; i < replicas; i++) reps.push(startReplica('memory', router.port, { name: `r${i + 1}` }));
  const db = await openClient(router.port, { password: passwordIn(routerArgs) });
  await waitInSync(db, replicas);
  return { router, reps, db };
}

function passwordIn(args: string[]): string | undefined {
  const i = args.indexOf('--password');
  return i >= 0 ? args[i + 1] : undefined;
}

function runCmd(port: number, input: string, extra: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [KVNDB_BIN, 'cmd', '127.0.0.1', String(port), ...extra], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

test('set, get, del, keys and binary values across two replicas', async () => {
  const { db } = await cluster(2);
  await db.set('alpha', 'one');
  await db.set('beta', 'two words');
  await db.set('bin', Buffer.from([0, 255, 1, 254]));
  expect(await db.get('alpha')).toBe('one');
  expect(await db.get('beta')).toBe('two words');
  expect(await db.getBuffer('bin')).toEqual(Buffer.from([0, 255, 1, 254]));
  expect(await db.get('missing')).toBeNull();
  expect(await db.has('alpha')).toBe(true);
  expect(await db.has('missing')).toBe(false);
  expect((await db.keys('')).keys.sort()).toEqual(['alpha', 'beta', 'bin']);
  expect((await db.keys('b')).keys.sort()).toEqual(['beta', 'bin']);
  expect(await db.del('alpha')).toBe(true);
  expect(await db.del('alpha')).toBe(false);
  expect(await db.get('alpha')).toBeNull();
  await db.mset({ m1: 'x', m2: 'y' });
  expect(await db.mget(['m1', 'm2', 'nope'])).toEqual(['x', 'y', null]);
  const results = await db.batch([
    { op: 'set', key: 'b1', value: '1' },
    { op: 'del', key: 'm1' },
  ]);
  expect(results).toEqual([true, true]);
  expect(await db.mget(['b1', 'm1'])).toEqual(['1', null]);

  // Both replicas hold every write: reads are balanced, so many reads hit both.
  const status = await db.status();
  expect(status.replicas).toHaveLength(2);
  expect(status.replicas.every((r) => r.state === 'in-sync' && r.seq === status.seq)).toBe(true);
});

test('keys pages through a large keyspace with a cursor, never one unbounded answer', async () => {
  const { db } = await cluster(2);
  const entries: Array<[string, string]> = [];
  for (let i = 0; i < 2500; i++) entries.push([`k:${String(i).padStart(5, '0')}`, String(i)]);
  for (let i = 0; i < entries.length; i += 500) await db.mset(entries.slice(i, i + 500));
  const page = await db.keys('k:', { limit: 1000 });
  expect(page.keys).toHaveLength(1000);
  expect(page.cursor).toBe('k:00999');
  const seen: string[] = [];
  for await (const k of db.scanKeys('k:')) seen.push(k);
  expect(seen).toEqual(entries.map(([k]) => k));
});

test('read-your-writes: every read after an acknowledged write sees it, on either replica', async () => {
  const { db } = await cluster(2, ['--write-ack', 'one']);
  for (let i = 0; i < 300; i++) {
    await db.set('counter', String(i));
    const [a, b] = await Promise.all([db.get('counter'), db.get('counter')]);
    expect(a).toBe(String(i));
    expect(b).toBe(String(i));
  }
});

test('wrong password is refused with AUTH_FAILED; the right one works', async () => {
  const router = await startRouter(['--password', 's3cret']);
  startReplica('memory', router.port, { env: { KVNDB_PASSWORD: 's3cret' } });
  const err = await client(router.port, { password: 'wrong', reconnect: false }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KvndbError);
  expect((err as KvndbError).code).toBe(ErrorCode.AUTH_FAILED);
  const db = await openClient(router.port, { password: 's3cret' });
  await waitInSync(db, 1);
  await db.set('k', 'v');
  expect(await db.get('k')).toBe('v');
});

test('SIGKILL of one replica while reads run: no read fails while another is in sync', async () => {
  const { db, reps } = await cluster(2);
  await db.set('steady', 'value');
  let reads = 0;
  let stop = false;
  const failures: unknown[] = [];
  const readers = Array.from({ length: 8 }, async () => {
    while (!stop) {
      try {
        expect(await db.get('steady')).toBe('value');
        reads++;
      } catch (err) {
        failures.push(err);
      }
    }
  });
  await sleep(300);
  await reps[0].kill('SIGKILL');
  await sleep(700);
  stop = true;
  await Promise.all(readers);
  expect(failures).toEqual([]);
  expect(reads).toBeGreaterThan(100);
  await waitUntil('the router drops the dead replica', async () => (await db.status()).replicas.length === 1);
  await db.set('after', 'kill');
  expect(await db.get('after')).toBe('kill');
});

test('with every replica gone, reads and writes fail with NO_REPLICAS (not "not found")', async () => {
  const { db, reps } = await cluster(2);
  await db.set('k', 'v');
  await Promise.all(reps.map((r) => r.kill('SIGKILL')));
  await waitUntil('no replica is left', async () => (await db.status()).replicas.length === 0);
  await expect(db.get('k')).rejects.toMatchObject({ code: ErrorCode.NO_REPLICAS });
  await expect(db.set('k', 'w')).rejects.toMatchObject({ code: ErrorCode.NO_REPLICAS });
  await expect(db.keys('')).rejects.toMatchObject({ code: ErrorCode.NO_REPLICAS });
});

test('router restart: replicas and the client reconnect by themselves and the data is still there', async () => {
  const { router, db } = await cluster(2);
  await db.set('survives', 'restart');
  await router.proc.kill('SIGKILL');
  const again = await startRouter([], router.port);
  expect(again.port).toBe(router.port);
  await waitInSync(db, 2, 40000);
  expect(await db.get('survives')).toBe('restart');
  await db.set('new', 'epoch');
  expect(await db.get('new')).toBe('epoch');
});

test('kvndb cmd over a pipe: quoting, results, and a non-zero exit when a command fails', async () => {
  const { router, db } = await cluster(2);
  const ok = await runCmd(router.port, 'set greeting "hello world"\nget greeting\nset "a key" \'x y\'\nkeys\ndel greeting\nget greeting\n');
  expect(ok.code).toBe(0);
  expect(ok.stdout).toContain('hello world');
  expect(ok.stdout).toContain('a key');
  expect(ok.stdout).toContain('(nil)');
  expect(await db.get('a key')).toBe('x y');

  const bad = await runCmd(router.port, 'get\nset k v\n');
  expect(bad.code).not.toBe(0);
  expect(await db.get('k')).toBe('v');
  expect(bad.stdout + bad.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
});
