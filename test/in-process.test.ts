/**
 * The in-process transport with the real classes: a Router serving an InProcessTransport
 * beside its TCP port, a Replica (memory or SQLite) and a client that reach it with no
 * socket, and a TCP client of the same router. This is how `kvndb standalone` is wired.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, type KvndbClient } from '@kvndb/client';
import { MemoryStore, Replica, SqliteStore, type Store } from '@kvndb/replica';
import { Router } from '@kvndb/router';
import { InProcessTransport, type Logger } from '@kvndb/shared';

/** A logger that keeps its lines, so a test can read what the replica said about its router. */
function collecting(lines: string[]): Logger {
  const keep = (msg: unknown) => void lines.push(String(msg));
  return { error: keep, warn: keep, info: keep, debug: keep } as unknown as Logger;
}

interface Setup {
  router: Router;
  transport: InProcessTransport;
  replica: Replica;
  replicaLog: string[];
  clients: KvndbClient[];
}

let dirs: string[] = [];
let setups: Setup[] = [];

afterEach(async () => {
  // Clients, then the replica (so the router does not see it as lost), then the router.
  for (const s of setups) {
    for (const c of s.clients) await c.close();
    await s.replica.stop();
    await s.router.stop();
  }
  setups = [];
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});

async function start(store: Store): Promise<Setup> {
  const router = new Router({ host: '127.0.0.1', port: 0, expectReplicas: 1, writeTimeoutMs: 3000 });
  await router.start();
  const transport = new InProcessTransport('kvndb-test');
  await router.serve(transport);
  const replicaLog: string[] = [];
  const replica = new Replica({ transport, name: 'embedded', store, logger: collecting(replicaLog) });
  const setup: Setup = { router, transport, replica, replicaLog, clients: [] };
  setups.push(setup);
  const inSync = new Promise<void>((resolve) => replica.once('in-sync', () => resolve()));
  replica.start();
  await inSync;
  return setup;
}

async function client(s: Setup, how: 'in-process' | 'tcp'): Promise<KvndbClient> {
  const c =
    how === 'in-process'
      ? await connect({ transport: s.transport, name: 'in-process client' })
      : await connect({ host: '127.0.0.1', port: s.router.address.port, name: 'tcp client' });
  s.clients.push(c);
  return c;
}

function sqliteStore(): SqliteStore {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvndb-in-process-'));
  dirs.push(dir);
  return new SqliteStore(path.join(dir, 'data.sqlite'));
}

describe.each([
  ['memory', () => new MemoryStore() as Store],
  ['SQLite', () => sqliteStore() as Store],
])('a router, a %s replica and a client over the in-process transport', (_kind, makeStore) => {
  test('set/get/mget/keys/del work, and a TCP client of the same router sees the same data', async () => {
    const s = await start(makeStore());
    const db = await client(s, 'in-process');

    expect(await db.set('user:1', 'Ada')).toBe(true);
    expect(await db.set('user:2', 'Bob')).toBe(true);
    expect(await db.set('user:2', 'Eve', { nx: true })).toBe(false);
    expect(await db.get('user:1')).toBe('Ada');
    expect(await db.getBuffer('user:2')).toEqual(Buffer.from('Bob'));
    expect(await db.mget(['user:1', 'user:2', 'missing'])).toEqual(['Ada', 'Bob', null]);
    expect((await db.keys('user:')).keys).toEqual(['user:1', 'user:2']);
    expect(await db.del('user:2')).toBe(true);
    expect(await db.del('user:2')).toBe(false);
    expect(await db.get('user:2')).toBeNull();

    // The router's own port serves the same data, and writes through it reach the in-process side.
    const tcp = await client(s, 'tcp');
    expect(await tcp.get('user:1')).toBe('Ada');
    expect((await tcp.keys('')).keys).toEqual(['user:1']);
    expect(await tcp.set('from-tcp', 'x')).toBe(true);
    expect(await db.get('from-tcp')).toBe('x');
    expect(await db.mget(['user:1', 'from-tcp'])).toEqual(['Ada', 'x']);
  });

  test('the replica shows in status() with an address naming the in-process transport', async () => {
    const s = await start(makeStore());
    await client(s, 'in-process');
    const status = s.router.status();
    expect(status.replicas).toHaveLength(1);
    expect(status.replicas[0]).toMatchObject({ name: 'embedded', state: 'in-sync' });
    expect(status.replicas[0].address).toMatch(/^kvndb-test#\d+$/);
    expect(status.clients).toBe(1);
    // The replica's log names its router by the transport, not by a host and port.
    expect(s.replicaLog.some((l) => l.includes('joined router at in-process transport as embedded'))).toBe(true);
  });
});

test('stopping the router with a replica and a client still on the in-process transport closes them', async () => {
  const s = await start(new MemoryStore());
  const db = await connect({ transport: s.transport, reconnect: false });
  const disconnected = new Promise<void>((resolve) => db.once('disconnect', () => resolve()));
  expect(await db.set('k', 'v')).toBe(true);
  await s.router.stop();
  await disconnected;
  await db.close();
  // The replica keeps trying a transport nobody listens on until it is stopped.
  expect(s.replica.state).toBe('connecting');
  await s.replica.stop();
  setups = [];
});
