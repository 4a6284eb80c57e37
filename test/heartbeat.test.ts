/**
 * Liveness without traffic: router and replicas PING each other when quiet for --heartbeat
 * ms; the router drops a replica it heard nothing from for 3 intervals, and replicas
 * reconnect when the router has been silent that long. A frozen process (SIGSTOP) keeps its TCP connections open, which
 * is exactly the case a FIN never reports. Real processes on loopback.
 */
import net from 'node:net';
import { client, sleep, startReplica, startRouter, stopAll, waitInSync, waitUntil } from './helpers/cluster';

jest.setTimeout(60000);

const proxies: net.Server[] = [];

afterEach(async () => {
  for (const p of proxies.splice(0)) p.close();
  await stopAll();
});

/**
 * A loopback TCP proxy to `port` that passes router -> replica traffic at about
 * `bytesPerSec` (replica -> router goes through unthrottled): a slow link.
 */
async function slowLink(port: number, bytesPerSec: number): Promise<number> {
  const server = net.createServer((down) => {
    const up = net.connect(port, '127.0.0.1');
    const sockets = [up, down];
    for (const s of sockets) s.on('error', () => sockets.forEach((x) => x.destroy()));
    for (const s of sockets) s.on('close', () => sockets.forEach((x) => x.destroy()));
    down.pipe(up);
    const slice = Math.max(1, Math.floor(bytesPerSec / 20)); // 50 ms worth
    up.on('data', (chunk: Buffer) => {
      up.pause();
      let off = 0;
      const step = () => {
        if (down.destroyed) return;
        down.write(chunk.subarray(off, off + slice));
        off += slice;
        if (off < chunk.length) setTimeout(step, 50);
        else up.resume();
      };
      step();
    });
  });
  proxies.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

test('an idle cluster stays connected: heartbeats keep quiet links alive', async () => {
  const router = await startRouter(['--heartbeat', '200']);
  const rep = startReplica('memory', router.port, { name: 'idle' });
  const db = await client(router.port);
  try {
    await waitInSync(db, 1);
    const before = (await db.status()).replicas[0].id;
    await sleep(2000); // ten heartbeat intervals without a single request
    const after = await db.status();
    expect(after.replicas.map((r) => [r.id, r.state])).toEqual([[before, 'in-sync']]);
    expect(rep.output).not.toMatch(/sent nothing/);
    expect(router.proc.output).not.toMatch(/sent nothing/);
  } finally {
    await db.close();
  }
});

test('a frozen replica (SIGSTOP) is dropped after 3 silent heartbeats, then catches up when it thaws', async () => {
  const router = await startRouter(['--heartbeat', '200', '--write-ack', 'one']);
  startReplica('memory', router.port, { name: 'steady' });
  const frozen = startReplica('memory', router.port, { name: 'frozen' });
  const db = await client(router.port);
  try {
    await waitInSync(db, 2);
    const pid = frozen.child.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      await router.proc.waitFor(/replica frozen \(.*\) sent nothing for \d+ ms \(heartbeat 200 ms\): dropping it/, 10000);
      await waitUntil('the frozen replica is gone from status', async () => (await db.status()).replicas.every((r) => r.name !== 'frozen'));
      await db.set('during', 'the freeze'); // a write the frozen replica has not seen
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitUntil('both in sync again', async () => {
      const s = await db.status();
      return s.replicas.filter((r) => r.state === 'in-sync').length === 2;
    });
    // Reads are balanced over both replicas: every one sees the write made during the freeze.
    for (let i = 0; i < 20; i++) expect(await db.get('during')).toBe('the freeze');
  } finally {
    await db.close();
  }
});

test('a frozen router (SIGSTOP): the replica notices the silence, and rejoins once the router thaws', async () => {
  const router = await startRouter(['--heartbeat', '200']);
  const rep = startReplica('memory', router.port, { name: 'patient' });
  const db = await client(router.port);
  try {
    await waitInSync(db, 1);
    await db.set('k', 'v');
    const mark = rep.output.length;
    const pid = router.proc.child.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      await rep.waitFor(/router at .* sent nothing for \d+ ms \(heartbeat 200 ms\): reconnecting/, 10000, mark);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await rep.waitFor(/joined router/, 20000, mark);
    await waitInSync(db, 1);
    expect(await db.get('k')).toBe('v');
  } finally {
    await db.close();
  }
});

test('a replica receiving one large value over a slow link is alive, not silent: it is not dropped', async () => {
  const router = await startRouter(['--heartbeat', '200', '--write-ack', 'all']);
  const viaSlowLink = await slowLink(router.port, 1024 * 1024); // ~1 MiB/s towards the replica
  startReplica('memory', viaSlowLink, { name: 'far' });
  const db = await client(router.port, { requestTimeoutMs: 30000 });
  try {
    await waitInSync(db, 1);
    // ~3 s on the wire, far longer than 3 heartbeats (600 ms) during which the replica can
    // send nothing back: the router sees it draining the frame and keeps it.
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    await db.set('big', big);
    expect((await db.getBuffer('big'))?.equals(big)).toBe(true);
    expect(router.proc.output).not.toMatch(/sent nothing/);
  } finally {
    await db.close();
  }
});
