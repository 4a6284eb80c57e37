/**
 * Durability and reset-and-resync with real processes and real SQLite files:
 * incremental catch-up, full resync under write load, router restart, crash mid-transaction.
 */
import {
  closeClients,
  openClient,
  Writer,
  expectAckedPresent,
  expectIdentical,
  sqliteCluster,
  readSqliteReplica,
  sleep,
  startReplica,
  startRouter,
  stopAll,
  tempDir,
  waitConverged,
  waitInSync,
  waitUntil,
} from './helpers/cluster';

jest.setTimeout(180000);

afterEach(async () => {
  await closeClients();
  await stopAll();
});

test('a replica SIGKILLed under write load catches up incrementally and ends identical', async () => {
  const dir = tempDir();
  const router = await startRouter();
  const names = ['a', 'b', 'c'];
  const { procs, files } = sqliteCluster(dir, names, router.port);
  const db = await openClient(router.port);
  await waitInSync(db, 3);
  const writer = new Writer(db).start();
  await sleep(500);
  await procs[1].kill('SIGKILL');
  await sleep(700);
  const restarted = startReplica('sqlite', router.port, { name: 'b', file: files[1] });
  await waitUntil('b is back in sync', async () => (await db.status()).replicas.some((r) => r.name === 'b' && r.state === 'in-sync'));
  await sleep(300);
  await writer.stop();
  expect(writer.acked.size).toBeGreaterThan(100);
  await waitConverged(db, names);
  expect(restarted.output).toMatch(/incremental/i);
  const contents = expectIdentical(files);
  expectAckedPresent(contents, writer);
});

test('--reset after a gap longer than the backlog: full resync of 100k keys while a writer writes', async () => {
  const dir = tempDir();
  const router = await startRouter(['--backlog-size', String(4 * 1024 * 1024)]);
  const names = ['a', 'b'];
  const { procs, files } = sqliteCluster(dir, names, router.port);
  const db = await openClient(router.port);
  await waitInSync(db, 2);
  const value = 'x'.repeat(100);
  for (let i = 0; i < 100_000; i += 1000) {
    const batch: Array<[string, string]> = [];
    for (let j = i; j < i + 1000; j++) batch.push([`bulk:${j}`, `${value}${j}`]);
    await db.mset(batch);
  }
  await procs[1].kill('SIGKILL');
  // More than the 4 MiB backlog while b is away, so only a full resync can bring it back.
  const filler = 'y'.repeat(1000);
  for (let i = 0; i < 6000; i += 500) {
    const batch: Array<[string, string]> = [];
    for (let j = i; j < i + 500; j++) batch.push([`gap:${j}`, filler]);
    await db.mset(batch);
  }
  const writer = new Writer(db).start();
  const rejoined = startReplica('sqlite', router.port, { name: 'b', file: files[1], args: ['--reset'] });
  await waitUntil(
    'b is in sync again',
    async () => (await db.status()).replicas.some((r) => r.name === 'b' && r.state === 'in-sync'),
    120000,
  );
  await sleep(300);
  await writer.stop();
  await waitConverged(db, names);
  expect(router.proc.output).toMatch(/full resync/i);
  expect(rejoined.running).toBe(true);
  const contents = expectIdentical(files);
  expect(contents.size).toBeGreaterThanOrEqual(106_000);
  expectAckedPresent(contents, writer);
});

test('router SIGKILLed under load and restarted: no acknowledged write is lost, replicas converge', async () => {
  const dir = tempDir();
  const router = await startRouter(['--write-ack', 'majority']);
  const names = ['a', 'b', 'c'];
  const { files } = sqliteCluster(dir, names, router.port);
  const db = await openClient(router.port);
  await waitInSync(db, 3);
  const writer = new Writer(db).start();
  await sleep(800);
  await router.proc.kill('SIGKILL');
  await sleep(300);
  const again = await startRouter(['--write-ack', 'majority', '--expect-replicas', '3'], router.port);
  await waitInSync(db, 3, 60000);
  await sleep(500);
  await writer.stop();
  await waitConverged(db, names);
  expect(again.proc.output).toMatch(/epoch/i);
  const contents = expectIdentical(files);
  expectAckedPresent(contents, writer);
});

test('a SQLite replica SIGKILLed mid-transaction reopens cleanly and resumes from its stored seq', async () => {
  const dir = tempDir();
  const router = await startRouter();
  const { procs, files } = sqliteCluster(dir, ['a', 'b'], router.port);
  const db = await openClient(router.port);
  await waitInSync(db, 2);
  // Large batches keep replica b inside write transactions most of the time.
  const big = 'z'.repeat(2000);
  let stop = false;
  const load = (async () => {
    let i = 0;
    while (!stop) {
      const batch: Array<[string, string]> = [];
      for (let j = 0; j < 200; j++) batch.push([`t:${i}:${j}`, big]);
      await db.mset(batch).catch(() => undefined);
      i++;
    }
  })();
  await sleep(600);
  await procs[1].kill('SIGKILL');
  stop = true;
  await load;
  const crashed = readSqliteReplica(files[1]); // opens cleanly: a committed prefix with its position
  expect(crashed.seq).toBeGreaterThan(0);
  const restarted = startReplica('sqlite', router.port, { name: 'b', file: files[1] });
  await restarted.waitFor(new RegExp(`seq[ =:]*${crashed.seq}\\b`), 20000);
  await waitConverged(db, ['a', 'b']);
  expectIdentical(files);
});
