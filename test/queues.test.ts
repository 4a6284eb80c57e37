/**
 * Queues (lists) and blocking pops against real processes through the kvndb binary: many
 * producers and consumers through a replica SIGKILL and a router restart (every acknowledged
 * push popped exactly once or still queued, none twice, FIFO per producer), timeouts and
 * disconnects that remove nothing, lists surviving a SQLite replica's restart and a full
 * resync, and BLPOP/BRPOP from redis-cli, node-redis and ioredis.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import Redis from 'ioredis';
import { createClient } from 'redis';
import type { KvndbClient } from '@kvndb/client';
import {
  closeClients,
  openClient,
  sleep,
  startReplica,
  startRespCluster,
  startRouter,
  stopAll,
  tempDir,
  waitInSync,
  waitUntil,
} from './helpers/cluster';

jest.setTimeout(120_000);

afterEach(async () => {
  await closeClients();
  await stopAll();
});

/**
 * An error after which a pop or push may or may not have been applied: the request was sent
 * and its answer lost (a request refused while reconnecting was never sent).
 */
function ambiguous(err: unknown): boolean {
  const { code, message } = err as { code?: string; message?: string };
  if (code === 'CONNECTION_CLOSED') return /may or may not/.test(message ?? '');
  return code === 'TIMEOUT' || code === 'SHUTTING_DOWN';
}

/** A request refused before it was sent (no connection, no replica): nothing was applied. */
function refused(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'NO_REPLICAS' || code === 'CONNECTION_CLOSED';
}

describe('N producers, M consumers with blocking pops, through a replica SIGKILL and a router restart', () => {
  test('every acknowledged push is popped exactly once or still queued; none twice; FIFO per producer', async () => {
    const dir = tempDir('kvndb-queues-');
    let router = await startRouter(['--write-ack', 'majority']);
    const port = router.port;
    const files = ['s1', 's2'].map((n) => path.join(dir, `${n}.sqlite`));
    const replicas = [
      startReplica('sqlite', port, { name: 's1', file: files[0] }),
      startReplica('sqlite', port, { name: 's2', file: files[1] }),
      startReplica('memory', port, { name: 'm1' }),
    ];
    const admin = await openClient(port, { requestTimeoutMs: 3000 });
    await waitInSync(admin, 3);

    const PRODUCERS = 3;
    const CONSUMERS = 3;
    const acked = new Set<string>();
    const maybePushed = new Set<string>();
    const popped = new Map<string, number>();
    const byConsumer: string[][] = Array.from({ length: CONSUMERS }, () => []);
    let ambiguousPops = 0;
    let stop = false;

    const produce = async (db: KvndbClient, p: number) => {
      for (let i = 0; !stop; i++) {
        const v = `p${p}-${i}`;
        try {
          await db.push('jobs', v);
          acked.add(v);
        } catch (err) {
          if (ambiguous(err)) maybePushed.add(v);
          else if (!refused(err)) throw err;
          await sleep(50);
        }
        if (i % 20 === 19) await sleep(5);
      }
    };
    const consume = async (db: KvndbClient, c: number, until: () => boolean) => {
      while (!until()) {
        try {
          const v = await db.pop('jobs', { waitMs: 300 });
          if (v === null) continue;
          popped.set(v, (popped.get(v) ?? 0) + 1);
          byConsumer[c].push(v);
        } catch (err) {
          if (ambiguous(err)) ambiguousPops++;
          else if (!refused(err)) throw err;
          await sleep(50);
        }
      }
    };

    const producerDbs = await Promise.all(Array.from({ length: PRODUCERS }, () => openClient(port, { requestTimeoutMs: 3000 })));
    const consumerDbs = await Promise.all(Array.from({ length: CONSUMERS }, () => openClient(port, { requestTimeoutMs: 3000 })));
    const producing = producerDbs.map((db, p) => produce(db, p));
    let consumersStop = false;
    const consuming = consumerDbs.map((db, c) => consume(db, c, () => consumersStop));

    await sleep(1500);
    // A SQLite replica dies mid-run and comes back on its file.
    await replicas[0].kill('SIGKILL');
    await sleep(800);
    replicas[0] = startReplica('sqlite', port, { name: 's1', file: files[0] });
    await waitInSync(admin, 3, 60_000);
    await sleep(1000);
    // The router restarts on its port with its state; clients reconnect.
    await router.proc.stop();
    router = await startRouter(['--write-ack', 'majority'], port);
    await waitInSync(admin, 3, 60_000);
    await sleep(1500);

    stop = true;
    await Promise.all(producing);
    // Drain: consumers go on until the queue stays empty.
    await waitUntil('the queue is drained', async () => (await admin.llen('jobs')) === 0, 30_000);
    consumersStop = true;
    await Promise.all(consuming);
    const left = await admin.lrange('jobs');

    expect(acked.size).toBeGreaterThan(100);
    expect(popped.size).toBeGreaterThan(100);
    // None popped twice.
    expect([...popped].filter(([, n]) => n > 1)).toEqual([]);
    // Nothing popped that nobody pushed.
    for (const v of popped.keys()) expect(acked.has(v) || maybePushed.has(v)).toBe(true);
    // Every acknowledged push popped or still queued, except at most one per pop whose
    // answer was lost with the router (docs/ARCHITECTURE.md "Blocking pops").
    const missing = [...acked].filter((v) => !popped.has(v) && !left.includes(v));
    expect(missing.length).toBeLessThanOrEqual(ambiguousPops);
    // FIFO per producer, as each consumer saw it.
    for (const seen of byConsumer) {
      const last = new Map<string, number>();
      for (const v of seen) {
        const [p, i] = v.split('-');
        expect(Number(i)).toBeGreaterThan(last.get(p) ?? -1);
        last.set(p, Number(i));
      }
    }
    // Drained: the empty list does not exist.
    expect(await admin.type('jobs')).toBeNull();
  });
});

describe('pops that remove nothing', () => {
  test('a pop that times out, and one whose client disconnects while blocked, leave the value for the next', async () => {
    const router = await startRouter();
    startReplica('memory', router.port, { name: 'm1' });
    const db = await openClient(router.port);
    await waitInSync(db, 1);

    const t0 = Date.now();
    expect(await db.pop('q', { waitMs: 300 })).toBeNull();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);

    const leaver = await openClient(router.port);
    const blocked = leaver.pop('q', { waitMs: 10_000 }).catch((e: { code: string }) => e.code);
    await sleep(200);
    await leaver.close();
    expect(await blocked).toBe('CONNECTION_CLOSED');
    // The router notices the closed connection; the waiter goes without popping anything.
    await sleep(100);
    expect(await db.push('q', 'kept')).toBe(1);
    await sleep(300);
    expect(await db.lrange('q')).toEqual(['kept']);

    // A waiter that stays is served in arrival order, behind the push.
    const first = db.pop('q2', { waitMs: 5000 });
    const second = db.pop('q2', { waitMs: 5000 });
    await sleep(100);
    await db.push('q2', 'a', 'b');
    expect([await first, await second]).toEqual(['a', 'b']);
  });

  test('bounds: past the per-connection limit a blocking pop is refused with a clear error', async () => {
    const router = await startRouter();
    startReplica('memory', router.port, { name: 'm1' });
    const db = await openClient(router.port);
    await waitInSync(db, 1);
    // The router's default: 1024 waiting pops per connection.
    const waiting = Array.from({ length: 1024 }, (_, i) => db.pop(`b${i}`, { waitMs: 2000 }).catch((e: { code: string }) => e.code));
    await sleep(300);
    await expect(db.pop('one-more', { waitMs: 2000 })).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS', message: expect.stringContaining('1024 on this connection') });
    expect(new Set(await Promise.all(waiting))).toEqual(new Set([null]));
  });
});

describe('lists survive restarts and resyncs', () => {
  test("a SQLite replica's lists after SIGKILL and restart, and a new replica's after a full resync", async () => {
    const dir = tempDir('kvndb-queues-persist-');
    const file = path.join(dir, 's1.sqlite');
    const router = await startRouter();
    let s1 = startReplica('sqlite', router.port, { name: 's1', file });
    const db = await openClient(router.port);
    await waitInSync(db, 1);
    const many = Array.from({ length: 10_000 }, (_, i) => `item-${i}`);
    for (let i = 0; i < many.length; i += 1000) await db.push('big', ...many.slice(i, i + 1000));
    await db.push('small', 'a', 'b', 'c');
    expect(await db.pop('small')).toBe('a');
    await db.expire('small', 600_000);

    await s1.kill('SIGKILL');
    s1 = startReplica('sqlite', router.port, { name: 's1', file });
    await waitInSync(db, 1);
    expect(await db.lrange('small')).toEqual(['b', 'c']);
    expect(await db.llen('big')).toBe(10_000);

    // A memory replica joins: a full resync copies the lists (the long one in pieces).
    startReplica('memory', router.port, { name: 'm1' });
    await waitInSync(db, 2, 60_000);
    await s1.kill('SIGKILL');
    await waitUntil('only m1 serves', async () => (await db.status()).replicas.filter((r) => r.state === 'in-sync').length === 1);
    expect(await db.lrange('big')).toEqual(many);
    expect(await db.lrange('small')).toEqual(['b', 'c']);
    expect(await db.ttl('small')).toBeGreaterThan(0);
    expect(await db.pop('big', { end: 'tail' })).toBe('item-9999');
  });
});

describe('real Redis clients: BLPOP/BRPOP/LPUSH', () => {
  let respPort: number;
  beforeEach(async () => {
    respPort = (await startRespCluster()).respPort;
  });

  test('redis-cli BLPOP waits for an ioredis LPUSH; ioredis BRPOP; node-redis blPop', async () => {
    const cli = spawn('redis-cli', ['-p', String(respPort), 'BLPOP', 'cliq', '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    cli.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const cliDone = new Promise<number | null>((resolve) => cli.on('exit', resolve));
    const io = new Redis({ port: respPort, host: '127.0.0.1', lazyConnect: true });
    try {
      await io.connect();
      await sleep(300);
      expect(await io.lpush('cliq', 'from-ioredis')).toBe(1);
      expect(await cliDone).toBe(0);
      expect(out.trim().split('\n')).toEqual(['cliq', 'from-ioredis']);

      const io2 = io.duplicate();
      try {
        const brpop = io2.brpop('ioq', 'other', 5);
        await sleep(200);
        await io.rpush('other', 'x', 'y');
        expect(await brpop).toEqual(['other', 'y']);
        expect(await io.brpop('nothing', 0.2)).toBeNull();
        expect(await io.lrange('other', 0, -1)).toEqual(['x']);
      } finally {
        io2.disconnect();
      }

      const nr = createClient({ url: `redis://127.0.0.1:${respPort}` });
      nr.on('error', () => {});
      await nr.connect();
      try {
        const blocked = nr.duplicate();
        blocked.on('error', () => {});
        await blocked.connect();
        try {
          const waiting = blocked.blPop('nrq', 5);
          await sleep(200);
          await nr.rPush('nrq', ['one', 'two']);
          expect(await waiting).toEqual({ key: 'nrq', element: 'one' });
          expect(await nr.lRange('nrq', 0, -1)).toEqual(['two']);
          expect(await nr.lPop('nrq')).toBe('two');
          expect(await blocked.blPop('nrq', 0.2)).toBeNull();
        } finally {
          await blocked.close();
        }
      } finally {
        await nr.close();
      }
    } finally {
      io.disconnect();
      cli.kill();
    }
  });

  test('as in Redis, commands pipelined behind a BLPOP wait for it (RESP2 and RESP3 replies)', async () => {
    const sock = net.connect(respPort, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    const got: Array<[number, string]> = [];
    const t0 = Date.now();
    sock.on('data', (d: Buffer) => got.push([Date.now() - t0, d.toString('latin1')]));
    sock.write('BLPOP pq 5\r\nSET after 1\r\nGET after\r\n');
    await sleep(400);
    // Nothing yet: the SET and GET behind the BLPOP have not run.
    expect(got).toEqual([]);
    const io = new Redis({ port: respPort, host: '127.0.0.1' });
    try {
      expect(await io.get('after')).toBeNull();
      await io.rpush('pq', 'v');
      await waitUntil('the replies', () => got.map((g) => g[1]).join('').endsWith('$1\r\n1\r\n'), 5000);
      expect(got.map((g) => g[1]).join('')).toBe('*2\r\n$2\r\npq\r\n$1\r\nv\r\n+OK\r\n$1\r\n1\r\n');
      // RESP3: a timeout is a null (`_`), as Redis 7 answers.
      got.length = 0;
      sock.write('HELLO 3\r\nBLPOP pq 0.1\r\n');
      await waitUntil('the timeout', () => got.map((g) => g[1]).join('').endsWith('_\r\n'), 5000);
    } finally {
      io.disconnect();
      sock.destroy();
    }
  });

  test('a BLPOP whose socket closes while blocked removes nothing', async () => {
    const sock = net.connect(respPort, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.write('BLPOP dropq 10\r\n');
    await sleep(200);
    sock.destroy();
    await sleep(200);
    const io = new Redis({ port: respPort, host: '127.0.0.1' });
    try {
      await io.rpush('dropq', 'v');
      await sleep(300);
      expect(await io.lrange('dropq', 0, -1)).toEqual(['v']);
    } finally {
      io.disconnect();
    }
  });
});
