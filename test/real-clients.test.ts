/**
 * Real Redis clients, each with its defaults, against kvndb's RESP door: a router with a
 * password and one memory replica, through the kvndb binary. node-redis (RESP3 by default,
 * RESP2 on request), ioredis (RESP2 only), redis-py (Debian's python3-redis, RESP2; the
 * Debian version has no RESP3) and redis-cli --scan. Each drives its everyday API: get/set, expiry, counters,
 * a pipeline, a full scan of 100,000 keys (each key exactly once), every byte value.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Redis from 'ioredis';
import { createClient, RESP_TYPES } from 'redis';
import { client, startRespCluster, stopAll, type RouterHandle } from './helpers/cluster';
import { pythonWithRedis } from './helpers/redis-py';

jest.setTimeout(60000);

const PASSWORD = 'real-clients-pw';
const SCAN_PREFIX = 'scan:';
const SCAN_KEYS = 100_000;
const EVERY_BYTE = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const expectedScanKeys = Array.from({ length: SCAN_KEYS }, (_, i) => `${SCAN_PREFIX}${i}`).sort();

let cluster: RouterHandle & { respPort: number };
let url: string;

beforeAll(async () => {
  cluster = await startRespCluster(PASSWORD);
  url = `redis://:${PASSWORD}@127.0.0.1:${cluster.respPort}`;
  const db = await client(cluster.port, { password: PASSWORD });
  try {
    await db.mset(expectedScanKeys.map((k): [string, string] => [k, `v:${k}`]));
  } finally {
    await db.close();
  }
});

afterAll(() => stopAll());

/** Each key once, and all of them. */
function expectEveryScanKeyOnce(seen: string[]): void {
  expect(seen.length).toBe(SCAN_KEYS);
  expect([...seen].sort()).toEqual(expectedScanKeys);
}

describe('node-redis', () => {
  type NodeRedis = ReturnType<typeof createClient>;
  const open: NodeRedis[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close().catch(() => c.destroy())));
  });
  async function connect(options: Parameters<typeof createClient>[0]): Promise<NodeRedis> {
    const c = createClient(options);
    c.on('error', () => {}); // reconnect errors; the commands report their own
    open.push(c);
    await c.connect();
    return c;
  }

  test.each([
    ['the defaults (HELLO 3 AUTH)', {}, 3],
    ['RESP: 3', { RESP: 3 as const }, 3],
    ['RESP: 2 (AUTH, then CLIENT SETINFO)', { RESP: 2 as const }, 2],
  ])('with a password and %s: get/set, a batch, scanIterator, binary values', async (_name, extra, proto) => {
    const c = await connect({ url, ...extra });
    expect((await c.clientInfo()).resp).toBe(proto);
    expect((await c.clientInfo()).libName).toBe('node-redis');
    expect(await c.set(`nr${proto}:greeting`, 'hello')).toBe('OK');
    expect(await c.get(`nr${proto}:greeting`)).toBe('hello');
    expect(await c.get('nr:missing')).toBeNull();
    expect(await c.mGet([`nr${proto}:greeting`, 'nr:missing'])).toEqual(['hello', null]);
    // Batching without MULTI: many commands in flight at once, answered in order.
    const sets = await Promise.all(Array.from({ length: 300 }, (_, i) => c.set(`nr${proto}:b${i}`, `v${i}`)));
    expect(sets.every((r) => r === 'OK')).toBe(true);
    const gets = await Promise.all(Array.from({ length: 300 }, (_, i) => c.get(`nr${proto}:b${i}`)));
    expect(gets).toEqual(Array.from({ length: 300 }, (_, i) => `v${i}`));
    const seen: string[] = [];
    for await (const keys of c.scanIterator({ MATCH: `${SCAN_PREFIX}*`, COUNT: 100 })) seen.push(...keys);
    expectEveryScanKeyOnce(seen);
    await c.set(`nr${proto}:binary`, EVERY_BYTE);
    const bytes = await c.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).get(`nr${proto}:binary`);
    expect(Buffer.compare(bytes as Buffer, EVERY_BYTE)).toBe(0);
    expect(await c.time()).toHaveLength(2);
    expect(await c.info('keyspace')).toMatch(/^# Keyspace\r\ndb0:keys=\d+,expires=\d+,avg_ttl=0\r\n$/);
    expect(await c.configGet('databases')).toEqual({ databases: '1' });
    expect(await c.clientSetName('nr-client')).toBe('OK');
    expect(await c.clientGetName()).toBe('nr-client');
    // Expiry and counters, as a session store and a rate limiter use them (keys of this case alone).
    const tag = `nr${proto}-${'RESP' in extra ? extra.RESP : 'default'}`;
    expect(await c.set(`${tag}:session`, 'token', { EX: 60 })).toBe('OK');
    expect(await c.ttl(`${tag}:session`)).toBeGreaterThan(55);
    expect(await c.set(`${tag}:flash`, 'x', { PX: 150 })).toBe('OK');
    expect(await c.incr(`${tag}:hits`)).toBe(1);
    expect(await c.incrBy(`${tag}:hits`, 9)).toBe(10);
    expect(await c.expire(`${tag}:hits`, 30)).toBe(1);
    expect(await c.pTTL(`${tag}:hits`)).toBeGreaterThan(25_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(await c.get(`${tag}:flash`)).toBeNull();
    expect(await c.exists(`${tag}:flash`)).toBe(0);
  });

  test('a wrong password is refused with WRONGPASS', async () => {
    const c = createClient({ url: `redis://:wrong@127.0.0.1:${cluster.respPort}`, socket: { reconnectStrategy: false } });
    const errors: Error[] = [];
    c.on('error', (e: Error) => errors.push(e));
    await expect(c.connect()).rejects.toThrow(/WRONGPASS/);
    c.destroy();
  });

  test('without a password, against a router without one: the defaults, RESP: 3 and RESP: 2', async () => {
    const open2 = await startRespCluster();
    for (const extra of [{}, { RESP: 3 as const }, { RESP: 2 as const }]) {
      const c = await connect({ url: `redis://127.0.0.1:${open2.respPort}`, ...extra });
      expect(await c.set('k', 'v')).toBe('OK');
      expect(await c.get('k')).toBe('v');
      expect(await c.get('missing')).toBeNull();
      await c.close();
      open.pop();
    }
  });
});

describe('ioredis (RESP2: ioredis has no RESP3)', () => {
  test('with a password: get/set, a pipeline, Promise.all, scanStream, binary values', async () => {
    const r = new Redis({ host: '127.0.0.1', port: cluster.respPort, password: PASSWORD, lazyConnect: true });
    try {
      await r.connect();
      expect(await r.set('io:greeting', 'hello')).toBe('OK');
      expect(await r.get('io:greeting')).toBe('hello');
      expect(await r.get('io:missing')).toBeNull();
      const pipe = r.pipeline();
      for (let i = 0; i < 300; i++) pipe.set(`io:p${i}`, `v${i}`);
      for (let i = 0; i < 300; i++) pipe.get(`io:p${i}`);
      const results = (await pipe.exec())!;
      expect(results.every(([err]) => err === null)).toBe(true);
      expect(results.slice(300).map(([, v]) => v)).toEqual(Array.from({ length: 300 }, (_, i) => `v${i}`));
      const gets = await Promise.all(Array.from({ length: 300 }, (_, i) => r.get(`io:p${i}`)));
      expect(gets).toEqual(Array.from({ length: 300 }, (_, i) => `v${i}`));
      const seen: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const stream = r.scanStream({ match: `${SCAN_PREFIX}*`, count: 100 });
        stream.on('data', (keys: string[]) => seen.push(...keys));
        stream.on('end', () => resolve());
        stream.on('error', reject);
      });
      expectEveryScanKeyOnce(seen);
      await r.set('io:binary', EVERY_BYTE);
      expect(Buffer.compare((await r.getBuffer('io:binary'))!, EVERY_BYTE)).toBe(0);
      await expect(r.set(Buffer.from([0xff, 0x00]), 'x')).rejects.toThrow('ERR kvndb keys must be valid UTF-8 (this key is not)');
      expect(await r.client('SETNAME', 'io-client')).toBe('OK');
      expect(await r.client('GETNAME')).toBe('io-client');
          expect(await r.set('io:session', 'token', 'EX', 60)).toBe('OK');
      expect(await r.ttl('io:session')).toBeGreaterThan(55);
      expect(await r.set('io:flash', 'x', 'PX', 150)).toBe('OK');
      expect(await r.incr('io:hits')).toBe(1);
      expect(await r.incrby('io:hits', 9)).toBe(10);
      expect(await r.pexpire('io:hits', 30_000)).toBe(1);
      expect(await r.pttl('io:hits')).toBeGreaterThan(25_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await r.get('io:flash')).toBeNull();
    } finally {
      r.disconnect();
    }
  });
});

describe('redis-py (Debian python3-redis)', () => {
  test('get/set, pipeline(transaction=False), scan_iter, binary values; a binary key gets the clear error', () => {
    const python = pythonWithRedis();
    if (python === null) throw new Error('no python3 can import redis: run scripts/install-system-deps.sh (Debian python3-redis)');
    const script = path.join(__dirname, 'helpers', 'redis-py-client.py');
    const r = spawnSync(python, [script, String(cluster.respPort), PASSWORD, SCAN_PREFIX, String(SCAN_KEYS)], { encoding: 'utf8', timeout: 40000 });
    if (r.status !== 0) throw new Error(`redis-py script failed (${r.status}):\n${r.stderr}`);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      ping: true,
      set: true,
      get: 'hello',
      missing: null,
      pipeline_sets_ok: true,
      pipeline_gets_ok: true,
      scan_total: SCAN_KEYS,
      scan_unique: SCAN_KEYS,
      scan_expected: true,
      scan_count250_ok: true,
      binary_ok: true,
      binary_key_error: 'kvndb keys must be valid UTF-8 (this key is not)',
      binary_key_nothing_applied: true,
      client_setname: true,
      client_getname: 'py-client',
      client_info_name: 'py-client',
      time_len: 2,
      info_role: 'master',
    });
    expect(out.info_connected_clients).toBeGreaterThanOrEqual(1);
    expect(out.info_keyspace).toEqual({ db0: { keys: expect.any(Number), expires: expect.any(Number), avg_ttl: 0 } });
    expect(out.set_ex).toBe(true);
    expect(out.ttl).toBeGreaterThan(55);
    expect(out.incr).toEqual([1, 10]);
    expect(out.expire).toBe(true);
    expect(out.pttl).toBeGreaterThan(25_000);
    expect(out.flash_after).toBeNull();
  });
});

describe('redis-cli', () => {
  function redisCli(args: string[], input?: string): string {
    const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(cluster.respPort), '--no-auth-warning', '-a', PASSWORD, ...args], {
      input,
      encoding: 'utf8',
      timeout: 30000,
      // --scan of 100,000 keys prints more than spawnSync's default 1 MiB.
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  }

  test('--scan visits every key exactly once, with and without a pattern', () => {
    expectEveryScanKeyOnce(redisCli(['--scan', '--pattern', `${SCAN_PREFIX}*`]).trim().split('\n'));
    // The keys the router holds, and how many of them have an expiry, from INFO.
    const keyspace = (): [number, number] => {
      const m = /db0:keys=(\d+),expires=(\d+)/.exec(redisCli(['INFO', 'keyspace']));
      expect(m).not.toBeNull();
      return [Number(m![1]), Number(m![2])];
    };
    // The tests before this one left short-lived keys, which only go away meanwhile (nothing
    // else writes). The count includes keys whose expiry passed but that the sweep has not
    // removed yet (as Redis's DBSIZE does), which a scan skips: so the scan sees at most the
    // keys held before it, and at least those held after it less the ones with an expiry.
    const [keysBefore] = keyspace();
    const all = redisCli(['--scan']).trim().split('\n');
    const [keysAfter, expiringAfter] = keyspace();
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBeLessThanOrEqual(keysBefore);
    expect(all.length).toBeGreaterThanOrEqual(keysAfter - expiringAfter);
  });

  test('binary values: every byte value round-trips (-x SET, GET)', () => {
    const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(cluster.respPort), '--no-auth-warning', '-a', PASSWORD, '-x', 'SET', 'cli:binary'], {
      input: EVERY_BYTE,
    });
    expect(r.stdout.toString().trim()).toBe('OK');
    const got = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(cluster.respPort), '--no-auth-warning', '-a', PASSWORD, '--raw', 'GET', 'cli:binary']);
    // --raw prints the value and a newline.
    expect(Buffer.compare(got.stdout.subarray(0, 256), EVERY_BYTE)).toBe(0);
  });

  test('-3 (RESP3): HELLO is a map, a missing value is RESP3 null', () => {
    expect(redisCli(['-3', 'HELLO', '3'])).toMatch(/proto\s*\n?\s*3/);
    expect(redisCli(['-3', 'GET', 'cli:missing']).trim()).toBe('');
  });
});
