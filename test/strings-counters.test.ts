/**
 * Counters, string operations and key operations through both doors of a real cluster: a
 * router (RESP port, a 1 KiB value limit, every write acknowledged by both replicas) and two
 * SQLite replicas, whose files are read directly to see that both applied the same thing.
 * ioredis and redis-cli/redis-benchmark at the RESP door, @kvndb/client at the native one.
 */
import { spawn, spawnSync } from 'node:child_process';
import Redis from 'ioredis';
import { ErrorCode, KvndbError, type KvndbClient } from '@kvndb/client';
import {
  closeClients,
  openClient,
  readSqliteReplica,
  sqliteCluster,
  startRouterWithResp,
  stopAll,
  tempDir,
  waitConverged,
  waitInSync,
  type RouterHandle,
} from './helpers/cluster';

jest.setTimeout(60000);

const MAX_VALUE = 1024;
const NAMES = ['s1', 's2'];

let cluster: RouterHandle & { respPort: number };
let files: string[];
let db: KvndbClient;
const redisClients: Redis[] = [];

function redis(options: { stringNumbers?: boolean } = {}): Redis {
  const r = new Redis({ port: cluster.respPort, host: '127.0.0.1', maxRetriesPerRequest: 0, ...options });
  redisClients.push(r);
  return r;
}

function redisCli(...args: string[]): string {
  const r = spawnSync('redis-cli', ['-p', String(cluster.respPort), ...args], { encoding: 'utf8', timeout: 20000 });
  if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** What each replica's file holds for `key` (undefined: absent), once both are at the router's seq. */
async function onBothReplicas(key: string): Promise<(string | undefined)[]> {
  await waitConverged(db, NAMES);
  return files.map((f) => {
    const v = readSqliteReplica(f).contents.get(key);
    return v === undefined ? undefined : Buffer.from(v, 'base64').toString('latin1');
  });
}

/** The error a promise rejects with. */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the promise to reject');
}

beforeAll(async () => {
  cluster = await startRouterWithResp(['--write-ack', 'all', '--max-value', String(MAX_VALUE)]);
  ({ files } = sqliteCluster(tempDir('kvndb-strings-'), NAMES, cluster.port));
  db = await openClient(cluster.port);
  await waitInSync(db, 2);
});

afterEach(async () => {
  await Promise.all(redisClients.splice(0).map((r) => r.quit().catch(() => r.disconnect())));
});

afterAll(async () => {
  await closeClients();
  await stopAll();
});

describe('counters', () => {
  test('concurrent increments from several Redis and native clients end exact, on both replicas', async () => {
    const clients = [redis(), redis(), redis(), redis()];
    const natives = [db, await openClient(cluster.port)];
    const PER = 200;
    // Each Redis client adds 1 then 5 and takes 2 away, PER times; each native client adds 3.
    await Promise.all([
      ...clients.map(async (r) => {
        const p = r.pipeline();
        for (let i = 0; i < PER; i++) p.incr('hits').incrby('hits', 5).decrby('hits', 2).decr('hits').decr('hits');
        const results = (await p.exec()) ?? [];
        for (const [err] of results) expect(err).toBeNull();
      }),
      ...natives.map((c) => Promise.all(Array.from({ length: PER }, () => c.incr('hits', 3)))),
    ]);
    const expected = clients.length * PER * 2 + natives.length * PER * 3;
    expect(await clients[0].get('hits')).toBe(String(expected));
    expect(await db.get('hits')).toBe(String(expected));
    expect(await db.incr('hits', 0)).toBe(expected);
    expect(await onBothReplicas('hits')).toEqual([String(expected), String(expected)]);
  });

  test("INCR on a value that is not an integer gives Redis's error and changes nothing; so does an overflow", async () => {
    const r = redis();
    await r.set('word', 'hello');
    const before = await db.getEntry('word');
    for (const p of [r.incr('word'), r.incrby('word', 2), r.decr('word'), r.decrby('word', 2)]) {
      expect((await rejection(p)).message).toBe('ERR value is not an integer or out of range');
    }
    const native = await rejection(db.incr('word'));
    expect(native).toBeInstanceOf(KvndbError);
    expect((native as KvndbError).code).toBe(ErrorCode.NOT_A_NUMBER);
    expect((await rejection(r.incrbyfloat('word', 1))).message).toBe('ERR value is not a valid float');
    // The same version: no write changed the key.
    expect(await db.getEntry('word')).toEqual(before);
    expect(await onBothReplicas('word')).toEqual(['hello', 'hello']);

    // Integer replies past 2^53 as text: ioredis's number parsing would round them.
    const exact = redis({ stringNumbers: true });
    await r.set('big', '9223372036854775806');
    expect(await exact.incr('big')).toBe('9223372036854775807');
    expect((await rejection(r.incr('big'))).message).toBe('ERR increment or decrement would overflow');
    expect((await rejection(r.decrby('big', '-9223372036854775808'))).message).toBe('ERR decrement would overflow');
    expect((await rejection(r.incrby('big', 'x' as unknown as number))).message).toBe('ERR value is not an integer or out of range');
    expect(await r.get('big')).toBe('9223372036854775807');
    expect(await db.incrBig('big', -7n)).toBe(9223372036854775800n);
    expect(await onBothReplicas('big')).toEqual(['9223372036854775800', '9223372036854775800']);
  });

  test('INCRBYFLOAT answers a bulk string, as the native incrByFloat() does', async () => {
    const r = redis();
    expect(await r.incrbyfloat('price', '10.5')).toBe('10.5');
    expect(await r.incrbyfloat('price', '0.1')).toBe('10.6');
    expect(await db.incrByFloat('price', -0.6)).toBe('10');
    expect(await r.incrbyfloat('price', '5.0e3')).toBe('5010');
    expect(await onBothReplicas('price')).toEqual(['5010', '5010']);
  });
});

describe('string operations', () => {
  test('APPEND, STRLEN, GETRANGE/SUBSTR, SETRANGE and GETDEL through both doors', async () => {
    const r = redis();
    expect(await r.append('greeting', 'Hello')).toBe(5);
    expect(await db.append('greeting', ' World')).toBe(11);
    expect(await r.strlen('greeting')).toBe(11);
    expect(await db.strlen('greeting')).toBe(11);
    expect(await db.strlen('nothing')).toBe(0);
    expect(await r.getrange('greeting', 0, 4)).toBe('Hello');
    expect(await r.getrange('greeting', -5, -1)).toBe('World');
    expect(await r.call('substr', 'greeting', '0', '-1')).toBe('Hello World');
    expect(await r.getrange('nothing', 0, -1)).toBe('');
    expect(await db.getRange('greeting', 6, 100)).toBe('World');
    expect(await db.getRangeBuffer('greeting', 5, 3)).toEqual(Buffer.alloc(0));
    expect(await r.setrange('greeting', 6, 'Redis')).toBe(11);
    expect(await db.setRange('padded', 3, 'x')).toBe(4);
    expect(await db.getBuffer('padded')).toEqual(Buffer.from([0, 0, 0, 0x78]));
    expect(await onBothReplicas('greeting')).toEqual(['Hello Redis', 'Hello Redis']);
    expect(await r.getdel('greeting')).toBe('Hello Redis');
    expect(await r.getdel('greeting')).toBeNull();
    expect(await db.getDel('padded')).toBe('\0\0\0x');
    expect(await db.has('padded')).toBe(false);
    expect(await onBothReplicas('greeting')).toEqual([undefined, undefined]);
  });

  test('APPEND and SETRANGE past the value limit are refused in Redis words, changing nothing on either replica', async () => {
    const r = redis();
    await r.set('blob', 'x'.repeat(MAX_VALUE - 4));
    expect(await r.append('blob', 'abcd')).toBe(MAX_VALUE);
    const tooLong = 'ERR string exceeds maximum allowed size (proto-max-bulk-len)';
    expect((await rejection(r.append('blob', 'e'))).message).toBe(tooLong);
    const native = (await rejection(db.append('blob', 'e'))) as KvndbError;
    expect(native.code).toBe(ErrorCode.TOO_LARGE);
    expect((await rejection(r.setrange('blob', MAX_VALUE, 'e'))).message).toBe(tooLong);
    expect((await rejection(r.setrange('other', MAX_VALUE - 1, 'ef'))).message).toBe(tooLong);
    expect((await rejection(r.setrange('blob', -1, 'e'))).message).toBe('ERR offset is out of range');
    // Within the limit, SETRANGE rewrites in place.
    expect(await r.setrange('blob', MAX_VALUE - 1, 'Z')).toBe(MAX_VALUE);
    const expected = 'x'.repeat(MAX_VALUE - 4) + 'abcZ';
    expect(await onBothReplicas('blob')).toEqual([expected, expected]);
    expect(await db.has('other')).toBe(false);
  });
});

describe('key operations', () => {
  test('RENAME and RENAMENX; RENAME of a missing key fails and creates nothing', async () => {
    const r = redis();
    expect((await rejection(r.rename('ghost', 'target'))).message).toBe('ERR no such key');
    const native = (await rejection(db.rename('ghost', 'target'))) as KvndbError;
    expect(native.code).toBe(ErrorCode.NO_SUCH_KEY);
    expect(await r.exists('ghost', 'target')).toBe(0);
    expect((await rejection(r.renamenx('ghost', 'target'))).message).toBe('ERR no such key');

    await r.set('from', 'moved');
    await r.set('to', 'old');
    expect(await r.rename('from', 'to')).toBe('OK');
    expect(await r.mget('from', 'to')).toEqual([null, 'moved']);
    expect(await onBothReplicas('to')).toEqual(['moved', 'moved']);
    expect(await onBothReplicas('from')).toEqual([undefined, undefined]);
    await r.set('taken', 'stays');
    expect(await r.renamenx('to', 'taken')).toBe(0);
    expect(await db.renameNx('to', 'fresh')).toBe(true);
    expect(await db.rename('fresh', 'fresh')).toBe(true);
    expect(await r.mget('to', 'taken', 'fresh')).toEqual([null, 'stays', 'moved']);
  });

  test('COPY with and without REPLACE; DB 0 only; TYPE and TOUCH', async () => {
    const r = redis();
    await r.set('src', 'one');
    await r.set('dst', 'two');
    expect(await r.copy('src', 'dst')).toBe(0);
    expect(await r.get('dst')).toBe('two');
    expect(await r.copy('src', 'dst', 'REPLACE')).toBe(1);
    expect(await r.copy('src', 'copy2', 'DB', 0)).toBe(1);
    expect((await rejection(r.copy('src', 'copy3', 'DB', 1))).message).toMatch(/^ERR DB index is out of range/);
    expect((await rejection(r.copy('src', 'src'))).message).toBe('ERR source and destination objects are the same');
    expect(await r.copy('missing', 'copy4')).toBe(0);
    expect(await db.copy('src', 'copy2')).toBe(false);
    expect(await db.copy('src', 'copy5', { replace: true })).toBe(true);
    expect(await r.mget('src', 'dst', 'copy2', 'copy3', 'copy4', 'copy5')).toEqual(['one', 'one', 'one', null, null, 'one']);
    expect(await onBothReplicas('dst')).toEqual(['one', 'one']);
    expect(await r.type('src')).toBe('string');
    expect(await r.type('copy3')).toBe('none');
    expect(await r.touch('src', 'dst', 'copy3', 'src')).toBe(3);
  });

  test('RANDOMKEY and TIME', async () => {
    const r = redis();
    await r.set('rk:a', '1');
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add((await r.randomkey()) as string);
    for (const k of seen) expect(await db.has(k)).toBe(true);
    expect(await db.has((await db.randomKey()) as string)).toBe(true);
    const [secs, micros] = (await r.time()) as unknown as [string, string];
    const redisMs = Number(secs) * 1000 + Number(micros) / 1000;
    const nativeMs = await db.time();
    expect(Math.abs(nativeMs - Date.now())).toBeLessThan(5000);
    expect(nativeMs).toBeGreaterThanOrEqual(redisMs);
  });

  test('FLUSHALL empties both replicas; writes after it stay', async () => {
    const r = redis();
    await db.mset(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`flush:${i}`, 'v'])));
    expect(redisCli('flushall', 'async').trim()).toBe('OK');
    await waitConverged(db, NAMES);
    expect(files.map((f) => readSqliteReplica(f).contents.size)).toEqual([0, 0]);
    expect(await r.dbsize()).toBe(0);
    expect(await r.randomkey()).toBeNull();
    await r.set('after', '1');
    expect(await r.flushdb()).toBe('OK');
    await db.set('after', '2');
    await db.flush();
    await db.set('after', '3');
    expect(await onBothReplicas('after')).toEqual(['3', '3']);
    expect(files.map((f) => readSqliteReplica(f).contents.size)).toEqual([1, 1]);
  });
});

describe('Redis tools', () => {
  test('redis-benchmark -t incr -n 2000 completes and its counter is exact', async () => {
    await db.flush();
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn('redis-benchmark', ['-p', String(cluster.respPort), '-t', 'incr', '-n', '2000', '-q'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      p.stdout.on('data', (d: Buffer) => (text += d.toString()));
      p.stderr.on('data', (d: Buffer) => (text += d.toString()));
      const timer = setTimeout(() => p.kill('SIGKILL'), 45000);
      p.on('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(text);
        else reject(new Error(`redis-benchmark exited with ${code}: ${text}`));
      });
    });
    expect(out).toMatch(/INCR: [\d.]+ requests per second/);
    // Every increment of the benchmark is counted.
    expect(await db.get('counter:__rand_int__')).toBe('2000');
  });

  test('redis-cli --bigkeys finds the biggest string', async () => {
    await db.flush();
    await db.mset(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`big:${i}`, 'x'.repeat(i * 10 + 1)])));
    const out = redisCli('--bigkeys');
    expect(out).toMatch(/Biggest string found '"big:19"' has 191 bytes/);
    expect(out).toMatch(/20 strings with 1920 bytes/);
  });
});
