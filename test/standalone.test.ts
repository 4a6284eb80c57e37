/**
 * `kvndb standalone` end to end, as real processes: a router whose embedded SQLite replica
 * reaches it over the in-process transport (no socket), serving clients and the console on
 * its port, keeping its data across a restart, and growing by a TCP replica attached later.
 */
import net from 'node:net';
import path from 'node:path';
import { closeClients, openClient, KvndbProcess, startReplica, stopAll, tempDir, waitConverged } from './helpers/cluster';

jest.setTimeout(60000);

afterEach(async () => {
  await closeClients();
  await stopAll();
});

/** Starts `kvndb standalone 127.0.0.1 0 --data dir`; resolves with its port once it says ready. */
async function startStandalone(dir: string): Promise<{ proc: KvndbProcess; port: number }> {
  const proc = new KvndbProcess(['standalone', '127.0.0.1', '0', '--data', dir]);
  const m = await proc.waitFor(/kvndb standalone listening on 127\.0\.0\.1:(\d+)/, 30000);
  await proc.waitFor(/^ready$/m, 30000);
  return { proc, port: Number(m[1]) };
}

async function cmd(port: number, ...words: string[]): Promise<KvndbProcess> {
  const p = new KvndbProcess(['cmd', '127.0.0.1', String(port), ...words]);
  await p.exited;
  return p;
}

test('standalone serves clients and the console, its replica is in process, and its data survives a restart', async () => {
  const dir = tempDir();
  const first = await startStandalone(dir);
  expect(first.proc.output).toContain(path.join(dir, 'kvndb.sqlite'));
  const db = await openClient(first.port);
  expect(await db.set('greeting', 'hello')).toBe(true);
  expect(await db.get('greeting')).toBe('hello');

  const status = await db.status();
  expect(status.replicas).toHaveLength(1);
  // The embedded replica is on the in-process transport, not on a socket of the router's port.
  expect(status.replicas[0]).toMatchObject({ name: 'standalone', state: 'in-sync' });
  expect(status.replicas[0].address).toMatch(/^standalone#\d+$/);

  const set = await cmd(first.port, 'set', 'from-cmd', 'yes');
  expect(set.exitCode).toBe(0);
  const get = await cmd(first.port, 'get', 'from-cmd');
  expect(get.exitCode).toBe(0);
  expect(get.output).toContain('yes');

  await closeClients();
  await first.proc.stop();
  expect(first.proc.exitCode).toBe(0);

  const second = await startStandalone(dir);
  const again = await openClient(second.port);
  expect(await again.mget(['greeting', 'from-cmd'])).toEqual(['hello', 'yes']);
});

test('a TCP memory replica attached to a standalone is resynced and serves the same data', async () => {
  const { port } = await startStandalone(tempDir());
  const db = await openClient(port);
  for (let i = 0; i < 200; i++) await db.set(`k${i}`, `v${i}`);

  const memory = startReplica('memory', port, { name: 'attached' });
  await memory.waitFor(/in sync with the router/, 30000);
  await waitConverged(db, ['standalone', 'attached']);
  const replicas = (await db.status()).replicas;
  expect(replicas.map((r) => r.name).sort()).toEqual(['attached', 'standalone']);
  expect(replicas.find((r) => r.name === 'attached')!.address).toMatch(/^127\.0\.0\.1:\d+$/);

  // Writes after the attach reach both; reads, balanced over both replicas, all agree.
  expect(await db.set('after', 'attach')).toBe(true);
  await waitConverged(db, ['standalone', 'attached']);
  for (let round = 0; round < 10; round++) {
    expect(await db.get('after')).toBe('attach');
    expect(await db.get(`k${round * 17}`)).toBe(`v${round * 17}`);
  }
  expect((await db.keys('', { limit: 1000 })).keys).toHaveLength(201);
});

test('reads answered from the embedded store still see the writes pipelined before them, through both doors', async () => {
  const dir = tempDir();
  const proc = new KvndbProcess(['standalone', '127.0.0.1', '0', '--data', dir, '--resp-port', '0']);
  const m = await proc.waitFor(/kvndb standalone listening on 127\.0\.0\.1:(\d+)/, 30000);
  const resp = await proc.waitFor(/RESP .*listening on 127\.0\.0\.1:(\d+)/, 30000);
  await proc.waitFor(/^ready$/m, 30000);

  // RESP: SET then GET of the same key, 300 pairs in one write: each GET answers the SET before it.
  const pairs = 300;
  let request = '';
  for (let i = 0; i < pairs; i++) request += `*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${String(i).length}\r\n${i}\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`;
  const socket = net.connect(Number(resp[1]), '127.0.0.1');
  let received = '';
  const expected = Array.from({ length: pairs }, (_, i) => `+OK\r\n$${String(i).length}\r\n${i}\r\n`).join('');
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (d) => {
      received += d.toString('latin1');
      if (received.length >= expected.length) resolve();
    });
    socket.write(request);
  });
  socket.destroy();
  expect(received).toBe(expected);

  // Native: requests sent without waiting go in order too.
  const db = await openClient(Number(m[1]));
  const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? db.set('n', String(i)) : db.get('n'))));
  for (let i = 1; i < 200; i += 2) expect(answers[i]).toBe(String(i - 1));
});
