/**
 * Transactions through real Redis clients (node-redis 6, ioredis, redis-py): all or nothing,
 * and optimistic locking (WATCH/GET/MULTI/SET/EXEC retried on abort) from three clients at
 * once ending with the exact total. Then determinism: two SQLite replicas under a mixed
 * workload of counters, transactions and expiring keys end with identical kv tables, row by
 * row (value, version, updated, expires).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import Redis from 'ioredis';
import { createClient, WatchError } from 'redis';
import type { KvndbClient } from '@kvndb/client';
import {
  closeClients,
  openClient,
  sleep,
  sqliteCluster,
  startRespCluster,
  startRouterWithResp,
  stopAll,
  tempDir,
  waitConverged,
  waitInSync,
} from './helpers/cluster';
import { pythonWithRedis } from './helpers/redis-py';

jest.setTimeout(60000);

const INCREMENTS = 50;

afterEach(async () => {
  await closeClients();
  await stopAll();
});

describe('Redis clients: MULTI/EXEC all or nothing, WATCH optimistic locking', () => {
  test('node-redis, ioredis and redis-py transactions apply all or nothing; 3 clients x 50 watched increments end exact', async () => {
    const { respPort } = await startRespCluster();
    const url = `redis://127.0.0.1:${respPort}`;
    const nodeRedis = () => createClient({ url, RESP: 2, socket: { reconnectStrategy: false } });
    type NodeRedis = ReturnType<typeof nodeRedis>;
    const nr: NodeRedis[] = [];
    const io: Redis[] = [];
    try {
      // node-redis: multi().exec() answers each command; a refused command applies nothing.
      const n = nodeRedis();
      nr.push(n);
      await n.connect();
      expect(await n.multi().set('nr:a', '1').incr('nr:a').get('nr:a').exec()).toEqual(['OK', 2, '2']);
      await expect(n.multi().set('nr:none', 'x').addCommand(['NOSUCHCOMMAND']).exec()).rejects.toThrow(/unknown command 'NOSUCHCOMMAND'|EXECABORT/);
      expect(await n.exists('nr:none')).toBe(0);

      // ioredis: exec() answers [err, result] pairs; an aborted transaction applies nothing.
      const r = new Redis({ host: '127.0.0.1', port: respPort, maxRetriesPerRequest: 1 });
      io.push(r);
      expect(await r.multi().set('io:a', '1').incrby('io:a', 4).get('io:a').exec()).toEqual([
        [null, 'OK'],
        [null, 5],
        [null, '5'],
      ]);
      await expect(r.multi().set('io:none', 'x').call('NOSUCHCOMMAND').exec()).rejects.toThrow(/EXECABORT/);
      expect(await r.exists('io:none')).toBe(0);

      // Optimistic locking from three clients at once: each retries when EXEC is aborted.
      const key = 'shared:counter';
      const watchers = [nodeRedis(), nodeRedis()];
      nr.push(...watchers);
      await Promise.all(watchers.map((c) => c.connect()));
      const ioWatcher = new Redis({ host: '127.0.0.1', port: respPort, maxRetriesPerRequest: 1 });
      io.push(ioWatcher);
      let aborted = 0;
      const nodeRedisLoop = async (c: NodeRedis) => {
        for (let i = 0; i < INCREMENTS; i++) {
          for (;;) {
            await c.watch(key);
            const v = Number((await c.get(key)) ?? 0);
            try {
              await c.multi().set(key, String(v + 1)).exec();
              break;
            } catch (err) {
              if (!(err instanceof WatchError)) throw err;
              aborted++;
            }
          }
        }
      };
      const ioredisLoop = async (c: Redis) => {
        for (let i = 0; i < INCREMENTS; i++) {
          for (;;) {
            await c.watch(key);
            const v = Number((await c.get(key)) ?? 0);
            const res = await c.multi().set(key, String(v + 1)).exec();
            if (res !== null) break;
            aborted++;
          }
        }
      };
      await Promise.all([nodeRedisLoop(watchers[0]), nodeRedisLoop(watchers[1]), ioredisLoop(ioWatcher)]);
      expect(await r.get(key)).toBe(String(3 * INCREMENTS));
      // They did race: some transactions were aborted and retried.
      expect(aborted).toBeGreaterThan(0);

      // redis-py: pipeline() (transaction=True) all or nothing, then its transaction() helper
      // racing an ioredis loop on the same key.
      const python = pythonWithRedis();
      if (python === null) throw new Error('no python3 can import redis: run scripts/install-system-deps.sh (Debian python3-redis)');
      const script = path.join(__dirname, 'helpers', 'redis-py-txn.py');
      const [py] = await Promise.all([
        new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
          // Asynchronously: spawnSync would block the ioredis loop racing it.
          const child = spawn(python, [script, String(respPort), key, String(INCREMENTS)]);
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d: Buffer) => (stdout += d));
          child.stderr.on('data', (d: Buffer) => (stderr += d));
          child.on('close', (status) => resolve({ status, stdout, stderr }));
        }),
        ioredisLoop(r),
      ]);
      if (py.status !== 0) throw new Error(`redis-py script failed (${py.status}):\n${py.stderr}`);
      expect(JSON.parse(py.stdout)).toEqual({
        pipeline: [true, 2, '2'],
        aborted: expect.stringMatching(/EXECABORT|unknown command/),
        none_exists: 0,
      });
      expect(await r.get(key)).toBe(String(5 * INCREMENTS));
    } finally {
      await Promise.all(nr.map((c) => c.quit().catch(() => undefined)));
      for (const c of io) c.disconnect();
    }
  });
});

describe('determinism', () => {
  test('two SQLite replicas under counters, transactions and expiring keys from several clients hold identical kv rows', async () => {
    const router = await startRouterWithResp(['--write-ack', 'all']);
    const dir = tempDir();
    const { procs, files } = sqliteCluster(dir, ['s1', 's2'], router.port);
    const admin = await openClient(router.port);
    await waitInSync(admin, 2);
    const clients: KvndbClient[] = await Promise.all([0, 1, 2].map(() => openClient(router.port)));
    const io = new Redis({ host: '127.0.0.1', port: router.respPort, maxRetriesPerRequest: 1 });
    const deadline = Date.now() + 2500;
    try {
      const native = async (db: KvndbClient, id: number) => {
        for (let i = 0; Date.now() < deadline; i++) {
          const k = `d:${i % 17}`;
          await db.incr(`d:counter:${i % 5}`);
          // Short-lived keys, so expiry sweeps run as ordered writes during the workload.
          await db.set(`d:ttl:${id}:${i % 40}`, `v${i}`, { ttlMs: 20 + (i % 7) * 30 });
          const e = await db.getEntry(k);
          await db.txn({
            if: [{ key: k, version: e?.version ?? 0 }],
            then: [
              { op: 'set', key: k, value: `${id}:${i}`, ...(i % 3 === 0 ? { ttlMs: 100 } : {}) },
              { op: 'incr', key: `d:txn-count` },
              { op: 'getEntry', key: k },
            ],
            else: [{ op: 'append', key: `d:conflicts:${id}`, value: '.' }],
          });
          if (i % 10 === 0) await db.expire(`d:counter:${i % 5}`, 5000 + i);
        }
      };
      const resp = async () => {
        for (let i = 0; Date.now() < deadline; i++) {
          await io.watch('d:resp');
          const v = Number((await io.get('d:resp')) ?? 0);
          await io.multi().set('d:resp', String(v + 1)).incr('d:counter:0').set(`d:resp-ttl:${i % 20}`, 'x', 'KEEPTTL').exec();
        }
      };
      await Promise.all([...clients.map((c, i) => native(c, i)), resp()]);
      // Let the short expiries pass and the router sweep them, then stop both replicas.
      await sleep(400);
      await waitConverged(admin, ['s1', 's2']);
      await Promise.all(procs.map((p) => p.stop()));
    } finally {
      io.disconnect();
    }
    const rows = files.map((file) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const Database = require('better-sqlite3');
      const db = new Database(file, { readonly: true, fileMustExist: true });
      try {
        return db.prepare('SELECT key, value, version, updated, expires FROM kv ORDER BY key').all() as Array<Record<string, unknown>>;
      } finally {
        db.close();
      }
    });
    expect(rows[0].length).toBeGreaterThan(10);
    // Expiring keys were written and some still carry an expiry.
    expect(rows[0].some((r) => (r.expires as number) > 0)).toBe(true);
    expect(rows[1]).toEqual(rows[0]);
  });
});
