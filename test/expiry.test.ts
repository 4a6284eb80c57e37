/**
 * Expiry end to end through the kvndb binary: keys with a time to live vanish on time for
 * every read (GET, EXISTS, KEYS, SCAN, the native client), the router's sweeps remove them
 * from every replica's SQLite file, and expiries survive a router restart (SIGKILL, same
 * state dir), a replica restart and a full resync of a new replica, byte for byte in the
 * files' `expires` column. TTLs are read with redis-cli and @kvndb/client.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { KvndbClient } from '@kvndb/client';
import Redis from 'ioredis';
import {
  closeClients,
  openClient,
  sleep,
  stablePort,
  startReplica,
  startRespCluster,
  startRouter,
  stopAll,
  tempDir,
  waitConverged,
  waitUntil,
  type KvndbProcess,
} from './helpers/cluster';

jest.setTimeout(60000);

afterEach(async () => {
  await closeClients();
  await stopAll();
});

let respPort = 0;

function cli(...args: string[]): string {
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(respPort), ...args], { encoding: 'utf8', timeout: 20000 });
  if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}
const cliInt = (...args: string[]): number => Number(cli(...args));

interface Row {
  key: string;
  value: string;
  version: number;
  updated: number;
  expires: number;
}

/** Every row of a SQLite replica's file with its metadata (read after the replica stopped). */
function rows(file: string): Row[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3');
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT key, value, version, updated, expires FROM kv ORDER BY key').all() as Array<Row & { value: Buffer }>).map((r) => ({
      ...r,
      value: Buffer.from(r.value).toString(),
    }));
  } finally {
    db.close();
  }
}

async function routerOn(port: number): Promise<KvndbProcess> {
  const router = await startRouter(['--resp-port', String(respPort)], port);
  await router.proc.waitFor(/RESP .*listening/);
  return router.proc;
}

test('keys vanish on time for every read, sweeps empty both files, and expiry survives router and replica restarts and a full resync', async () => {
  const port = await stablePort();
  respPort = await stablePort();
  const dir = tempDir('kvndb-expiry-');
  const file = (n: string) => path.join(dir, `${n}.sqlite`);
  let router = await routerOn(port);
  const replicas = new Map<string, KvndbProcess>();
  const start = (n: string) => replicas.set(n, startReplica('sqlite', port, { name: n, file: file(n) }));
  start('r1');
  start('r2');
  let db: KvndbClient = await openClient(port);
  await waitConverged(db, ['r1', 'r2']);

  // Short-lived keys through both doors, and keys that outlive the test.
  // (All expire within 2 s of being written; the checks before run well inside that.)
  expect(cli('SET', 'resp:short', 'v', 'PX', '2000')).toBe('OK');
  expect(cli('SETEX', 'resp:setex', '2', 'v')).toBe('OK');
  await db.set('native:short', 'v', { ttlMs: 2000 });
  await db.mset(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`bulk:${i}`, `v${i}`])));
  expect(await Promise.all(Array.from({ length: 50 }, (_, i) => db.expire(`bulk:${i}`, 2000)))).toEqual(Array(50).fill(true));
  const written = Date.now();
  expect(cli('SET', 'forever', 'v')).toBe('OK');
  expect(cli('SET', 'long', 'v', 'EX', '600')).toBe('OK');
  await db.set('native:long', 'w', { expireAt: Date.now() + 600_000 });

  // Before they expire: every read sees them; TTLs as Redis reports them.
  expect(cliInt('EXISTS', 'resp:short', 'native:short', 'bulk:7', 'resp:setex')).toBe(4);
  const pttl = cliInt('PTTL', 'resp:short');
  expect(pttl).toBeGreaterThan(0);
  expect(pttl).toBeLessThanOrEqual(2000);
  expect([1, 2]).toContain(cliInt('TTL', 'native:short'));
  expect(cliInt('TTL', 'forever')).toBe(-1);
  expect(cliInt('TTL', 'nokey')).toBe(-2);
  expect([599, 600]).toContain(cliInt('TTL', 'long'));
  const nativeTtl = await db.ttl('resp:short');
  expect(nativeTtl).toBeGreaterThan(0);
  expect(nativeTtl).toBeLessThanOrEqual(2000);
  expect(await db.ttl('forever')).toBe(-1);
  expect(cli('KEYS', '*').split('\n')).toHaveLength(56);
  expect(cli('INFO', 'keyspace')).toContain('db0:keys=56,expires=55,avg_ttl=0');
  expect(cliInt('DBSIZE')).toBe(56);

  // After: absent for GET, EXISTS, KEYS, SCAN and the client, whether or not swept yet.
  await sleep(Math.max(0, written + 2100 - Date.now()));
  expect(cli('GET', 'resp:short')).toBe('');
  expect(await db.get('native:short')).toBeNull();
  expect(cliInt('EXISTS', 'resp:short', 'native:short', 'bulk:7', 'resp:setex')).toBe(0);
  expect(cliInt('PTTL', 'bulk:3')).toBe(-2);
  expect(cli('KEYS', '*').split('\n').sort()).toEqual(['forever', 'long', 'native:long']);
  expect(cli('--scan').split('\n').sort()).toEqual(['forever', 'long', 'native:long']);
  // The sweeps remove them (DBSIZE counts stored keys, as Redis's does).
  await waitUntil('sweeps removed the expired keys', () => cliInt('DBSIZE') === 3, 10000);
  expect(cli('INFO', 'keyspace')).toContain('db0:keys=3,expires=2,avg_ttl=0');
  const longAt = cliInt('PEXPIRETIME', 'long');
  const nativeLongAt = await db.expireTime('native:long');
  expect(cliInt('EXPIRETIME', 'long')).toBe(Math.floor((longAt + 500) / 1000));

  // A key that expires while the router is down and coming back; SIGKILL, restart with its state.
  expect(cli('SET', 'soon', 'v', 'PX', '6000')).toBe('OK');
  const soonAt = cliInt('PEXPIRETIME', 'soon');
  await closeClients();
  await router.kill('SIGKILL');
  router = await routerOn(port);
  db = await openClient(port);
  await waitConverged(db, ['r1', 'r2']);
  expect(cliInt('PEXPIRETIME', 'long')).toBe(longAt);
  expect(await db.expireTime('native:long')).toBe(nativeLongAt);
  expect(cliInt('PEXPIRETIME', 'soon')).toBe(soonAt);
  await sleep(Math.max(0, soonAt - Date.now() + 50));
  expect(cliInt('EXISTS', 'soon')).toBe(0);
  // The restarted router learnt the earliest expiry from the replicas' HELLO and swept it.
  await waitUntil('the restarted router swept "soon"', () => cliInt('DBSIZE') === 3, 10000);

  // A replica restart keeps expiries (its file), and so does a full resync of a new replica.
  await replicas.get('r2')!.stop();
  start('r2');
  start('r3');
  await waitConverged(db, ['r1', 'r2', 'r3']);
  expect(cliInt('PEXPIRETIME', 'long')).toBe(longAt);
  expect(cli('SET', 'last', 'v', 'PX', '300')).toBe('OK');
  await waitUntil('"last" swept', () => cliInt('DBSIZE') === 3, 10000);
  await waitConverged(db, ['r1', 'r2', 'r3']);
  await closeClients();
  await Promise.all([...replicas.values()].map((r) => r.stop()));
  await router.stop();

  // Read the files after stopping: the same rows, metadata included, and nothing expired left.
  const [r1, r2, r3] = ['r1', 'r2', 'r3'].map((n) => rows(file(n)));
  expect(r1.map((r) => r.key)).toEqual(['forever', 'long', 'native:long']);
  expect(r1.find((r) => r.key === 'long')!.expires).toBe(longAt);
  expect(r1.find((r) => r.key === 'native:long')!.expires).toBe(nativeLongAt);
  expect(r1.find((r) => r.key === 'forever')!.expires).toBe(0);
  expect(r2).toEqual(r1);
  expect(r3).toEqual(r1);
});

/**
 * Replies to SET, SETEX, PSETEX, GETSET, GETEX, the EXPIRE and TTL families and PERSIST, recorded from redis-server
 * 7.0 (redis-cli's output: errors, nils and values as printed), in order on one keyspace.
 * Only `ttl k` on a key expiring in 2033 is left out (it moves with the clock).
 */
const REDIS_ANSWERS: Array<[string, string]> = [
    ["set k v ex 0", "ERR invalid expire time in 'set' command"],
    ["set k v ex -1", "ERR invalid expire time in 'set' command"],
    ["set k v ex abc", "ERR value is not an integer or out of range"],
    ["set k v ex", "ERR syntax error"],
    ["set k v nx xx", "ERR syntax error"],
    ["set k v ex 10 px 100", "ERR syntax error"],
    ["set k v keepttl ex 10", "ERR syntax error"],
    ["set k v ex 10 ex 20", "OK"],
    ["set k v nx nx", ""],
    ["set k v ex 9999999999999999", "ERR invalid expire time in 'set' command"],
    ["set k v px 9223372036854775807", "ERR invalid expire time in 'set' command"],
    ["set k v exat 1", "OK"],
    ["get k", ""],
    ["set k v get nx", ""],
    ["set k v foo", "ERR syntax error"],
    ["setex k 0 v", "ERR invalid expire time in 'setex' command"],
    ["setex k abc v", "ERR value is not an integer or out of range"],
    ["psetex k -1 v", "ERR invalid expire time in 'psetex' command"],
    ["set k v pxat 1999999999999", "OK"],
    ["expiretime k", "2000000000"],
    ["pexpiretime k", "1999999999999"],
    ["expire k 10 nx xx", "ERR NX and XX, GT or LT options at the same time are not compatible"],
    ["expire k 10 gt lt", "ERR GT and LT options at the same time are not compatible"],
    ["expire k 10 foo", "ERR Unsupported option foo"],
    ["expire k abc", "ERR value is not an integer or out of range"],
    ["expire k 10 nx gt", "ERR NX and XX, GT or LT options at the same time are not compatible"],
    ["expire k 9223372036854775807", "ERR invalid expire time in 'expire' command"],
    ["expire k 922337203685477580", "ERR invalid expire time in 'expire' command"],
    ["getex k ex 0", "ERR invalid expire time in 'getex' command"],
    ["getex k ex 10 px 10", "ERR syntax error"],
    ["getex k persist ex 10", "ERR syntax error"],
    ["getex k foo", "ERR syntax error"],
    ["getex k ex", "ERR syntax error"],
    ["getex k persist persist", "v"],
    ["ttl nokey", "-2"],
    ["expiretime nokey", "-2"],
    ["persist nokey", "0"],
    ["set p v", "OK"],
    ["ttl p", "-1"],
    ["expiretime p", "-1"],
    ["expire p 100 gt", "0"],
    ["expire p 100 lt", "1"],
    ["ttl p", "100"],
    ["expire p -5", "1"],
    ["exists p", "0"],
    ["getset k x", "v"],
    ["getex k exat 1", "x"],
    ["exists k", "0"],
    ["getex k", ""],
    ["set k v keepttl keepttl", "OK"],
    ["set k v get get", "v"],
    ["expireat k -5", "1"],
    ["exists k", "0"],
    ["set k v", "OK"],
    ["pexpire k 1500", "1"],
    ["set k v px 1499", "OK"],
    ["set k v ex 10 pxat 1", "ERR syntax error"],
    ["getex nokey ex 0", ""],
];

test('expiry commands answer as Redis 7 does, errors and edge cases included; IFEQ as Redis 8.4', async () => {
  ({ respPort } = await startRespCluster());
  for (const [command, want] of REDIS_ANSWERS) {
    const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(respPort), ...command.split(' ')], { encoding: 'utf8' });
    expect([command, r.stdout.split('\n').join(' ').trimEnd()]).toEqual([command, want]);
  }
  // Reply types through a client library: integers, nil bulk, errors.
  const redis = new Redis({ host: '127.0.0.1', port: respPort, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    expect(await redis.set('i', 'a', 'PX', 60000, 'GET')).toBeNull();
    expect(await redis.set('i', 'b', 'KEEPTTL', 'GET')).toBe('a');
    expect(await redis.pttl('i')).toBeGreaterThan(59000);
    expect(await redis.call('SET', 'i', 'c', 'IFEQ', 'nope')).toBeNull();
    expect(await redis.call('SET', 'i', 'c', 'IFEQ', 'b', 'GET')).toBe('b');
    expect(await redis.ttl('i')).toBe(-1);
    expect(await redis.call('SET', 'missing', 'x', 'IFEQ', 'x')).toBeNull();
    expect(await redis.exists('missing')).toBe(0);
    await expect(redis.call('SET', 'i', 'c', 'IFEQ', 'b', 'NX')).rejects.toThrow('ERR syntax error');
    expect(await redis.expire('i', 100, 'XX', 'LT' as never)).toBe(0);
    expect(await redis.expire('i', 100)).toBe(1);
    expect(await redis.expire('i', 50, 'XX', 'LT' as never)).toBe(1);
    expect(await redis.expire('i', 500, 'XX', 'GT' as never)).toBe(1);
    expect(await redis.ttl('i')).toBe(500);
    expect(await redis.getex('i', 'PERSIST')).toBe('c');
    expect(await redis.ttl('i')).toBe(-1);
    expect(await redis.getex('nokey', 'EX', 'abc' as never)).toBeNull();
    await expect(redis.getex('i', 'EX', 'abc' as never)).rejects.toThrow('ERR value is not an integer or out of range');
    expect(await redis.psetex('p', 5000, 'v')).toBe('OK');
    expect(await redis.expiretime('p')).toBe(Math.floor((Number(await redis.pexpiretime('p')) + 500) / 1000));
    expect(await redis.persist('p')).toBe(1);
    expect(await redis.exists('i', 'p', 'missing')).toBe(2);
  } finally {
    redis.disconnect();
  }
});
