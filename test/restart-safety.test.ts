/**
 * The restarts that used to discard acknowledged data, replayed with real processes, real
 * SQLite files and the router's state file (issue 12): a stale replica that reaches a
 * restarted router first, and a cold restart of a whole cluster in every start order.
 */
import path from 'node:path';
import {
  closeClients,
  openClient,
  Writer,
  dumpThroughClient,
  expectAckedPresent,
  expectIdentical,
  readSqliteReplica,
  sleep,
  sqliteCluster,
  stablePort,
  startReplica,
  startRouter,
  stopAll,
  tempDir,
  waitConverged,
  waitUntil,
  type KvndbProcess,
  type RouterHandle,
} from './helpers/cluster';

jest.setTimeout(120000);

afterEach(async () => {
  await closeClients();
  await stopAll();
});

// Replicas reconnect within --max-retry-delay (1 s by default), inside this join window.
const ROUTER_ARGS = ['--heartbeat', '200', '--join-window', '3000'];

test('a replica paused until dropped, then resumed first into a restarted router, is not adopted: every acknowledged write survives', async () => {
  const dir = tempDir();
  const router = await startRouter(ROUTER_ARGS, await stablePort());
  const names = ['r0', 'r1', 'r2'];
  const { procs, files } = sqliteCluster(dir, names, router.port);
  const db = await openClient(router.port, { requestTimeoutMs: 5000 });
  await waitConverged(db, names);
  const writer = new Writer(db).start();
  await sleep(300);
  procs[0].child.kill('SIGSTOP');
  await waitUntil('r0 dropped', () => /replica r0 .*sent nothing for/.test(router.proc.output), 10000);
  await sleep(700); // writes go on without r0: it falls behind
  await router.proc.kill('SIGKILL');
  await writer.stop();
  const stalePos = readSqliteReplica(files[0]).seq;
  const healthyPos = readSqliteReplica(files[1]).seq;
  expect(healthyPos).toBeGreaterThan(stalePos);

  const again = await startRouter(ROUTER_ARGS, router.port);
  procs[0].child.kill('SIGCONT');
  await waitConverged(db, names, 60000);
  expect(again.proc.output).not.toMatch(/adopting r0 /);
  expect(again.proc.output).toMatch(/adopting r[12] /);
  await stopAll(); // replicas stop cleanly: the files are final
  const contents = expectIdentical(files);
  expectAckedPresent(contents, writer);
  expect(writer.acked.size).toBeGreaterThan(100);
});

type Part = 'router' | 'memory' | 'sqlite';
const ORDERS: Part[][] = [
  ['router', 'memory', 'sqlite'],
  ['router', 'sqlite', 'memory'],
  ['memory', 'router', 'sqlite'],
  ['memory', 'sqlite', 'router'],
  ['sqlite', 'router', 'memory'],
  ['sqlite', 'memory', 'router'],
];

describe('a cold restart of router, memory replica and SQLite replica keeps the SQLite data', () => {
  test.each(ORDERS.map((o) => [o.join(' then '), o]))('%s', async (_label, order) => {
    const dir = tempDir();
    const file = path.join(dir, 'disk.sqlite');
    // Default join window and backoff: the memory replica arrives seconds before the SQLite one.
    let router: RouterHandle = await startRouter(['--join-window', '2000'], await stablePort());
    const port = router.port;
    let mem: KvndbProcess = startReplica('memory', port, { name: 'mem' });
    let disk: KvndbProcess = startReplica('sqlite', port, { name: 'disk', file });
    const db = await openClient(port, { requestTimeoutMs: 5000 });
    await waitConverged(db, ['mem', 'disk']);
    const written = new Map<string, string>();
    for (let i = 0; i < 200; i++) written.set(`k${i}`, `v${i}`);
    await db.mset([...written]);
    await waitConverged(db, ['mem', 'disk']);
    await Promise.all([mem.stop(), disk.stop(), router.proc.stop()]);
    expect(readSqliteReplica(file).contents.size).toBe(200);

    for (const part of order) {
      if (part === 'router') router = await startRouter(['--join-window', '2000'], port);
      else if (part === 'memory') mem = startReplica('memory', port, { name: 'mem' });
      else disk = startReplica('sqlite', port, { name: 'disk', file });
      await sleep(2500); // longer than the join window: each arrives on its own
    }
    await waitConverged(db, ['mem', 'disk'], 30000).catch((err) => {
      throw new Error(`${(err as Error).message}\nrouter:\n${router.proc.output}\ndisk:\n${disk.output}\nmem:\n${mem.output}`);
    });
    const served = await dumpThroughClient(db);
    expect(served.size).toBe(200);
    expect(Buffer.from(served.get('k199')!, 'base64').toString()).toBe('v199');
    expect(router.proc.output).not.toMatch(/adopting mem /);
    await Promise.all([mem.stop(), disk.stop()]);
    expect(readSqliteReplica(file).contents.size).toBe(200);
  });
});
