/**
 * The Redis protocol front door with real Redis tooling: redis-cli (Debian redis-tools,
 * installed by scripts/install-system-deps.sh) and the ioredis client, against a real
 * router with memory replicas.
 */
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import Redis from 'ioredis';
import { client, startReplica, startRouterWithResp, stopAll, waitInSync, type RouterHandle } from './helpers/cluster';

jest.setTimeout(60000);

let router: RouterHandle;
let respPort: number;
const redisClients: Redis[] = [];

async function startCluster(extra: string[] = []): Promise<void> {
  ({ respPort, ...router } = await startRouterWithResp(extra));
  const env: Record<string, string> = extra.includes('--password') ? { KVNDB_PASSWORD: extra[extra.indexOf('--password') + 1] } : {};
  startReplica('memory', router.port, { name: 'm1', env });
  startReplica('memory', router.port, { name: 'm2', env });
  const db = await client(router.port, { password: env.KVNDB_PASSWORD });
  await waitInSync(db, 2);
  await db.close();
}

function redisCli(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(respPort), ...args], { input, encoding: 'utf8', timeout: 20000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ioredis(options: Record<string, unknown> = {}): Redis {
  const r = new Redis({ host: '127.0.0.1', port: respPort, lazyConnect: true, maxRetriesPerRequest: 1, ...options });
  redisClients.push(r);
  return r;
}

afterEach(async () => {
  await Promise.all(redisClients.splice(0).map((r) => r.quit().catch(() => r.disconnect())));
  await stopAll();
});

describe('redis-cli', () => {
  beforeEach(() => startCluster());

  test('PING, SET, GET, DEL, EXISTS, MSET, MGET, KEYS, SCAN, DBSIZE, INFO', () => {
    expect(redisCli(['PING']).stdout.trim()).toBe('PONG');
    expect(redisCli(['SET', 'greeting', 'hello world']).stdout.trim()).toBe('OK');
    expect(redisCli(['GET', 'greeting']).stdout.trim()).toBe('hello world');
    expect(redisCli(['SET', 'greeting', 'x', 'NX']).stdout.trim()).toBe('');
    expect(redisCli(['SET', 'greeting', 'again', 'XX', 'GET']).stdout.trim()).toBe('hello world');
    expect(redisCli(['EXISTS', 'greeting', 'nope']).stdout.trim()).toBe('1');
    expect(redisCli(['MSET', 'a', '1', 'b', '2']).stdout.trim()).toBe('OK');
    expect(redisCli(['MGET', 'a', 'b', 'c']).stdout.replace(/\n$/, '').split('\n')).toEqual(['1', '2', '']);
    expect(redisCli(['KEYS', '*']).stdout.trim().split('\n').sort()).toEqual(['a', 'b', 'greeting']);
    expect(redisCli(['--scan', '--pattern', '[ab]']).stdout.trim().split('\n').sort()).toEqual(['a', 'b']);
    expect(redisCli(['DBSIZE']).stdout.trim()).toBe('3');
    expect(redisCli(['DEL', 'a', 'b', 'zzz']).stdout.trim()).toBe('2');
    expect(redisCli(['INFO']).stdout).toMatch(/kvndb_seq:\d+/);
    expect(redisCli(['SELECT', '0']).stdout.trim()).toBe('OK');
  });

  test('unknown commands are refused as Redis words it; the connection stays usable', () => {
    const r = redisCli([], 'NOSUCHCOMMAND\nGET greeting\nPING\n');
    expect(r.stdout).toContain("ERR unknown command 'NOSUCHCOMMAND'");
    expect(r.stdout).toContain('PONG');
  });

  test('command names that are Object properties (CONSTRUCTOR, __proto__) are unknown commands too', () => {
    const r = redisCli([], 'CONSTRUCTOR\n__proto__\nPING\n');
    expect(r.stdout).toContain("ERR unknown command 'CONSTRUCTOR'");
    expect(r.stdout).toContain("ERR unknown command '__proto__'");
    expect(r.stdout).toContain('PONG');
  });

  test('pipelined input (redis-cli --pipe) is answered in order', () => {
    let input = '';
    for (let i = 0; i < 2000; i++) input += `*3\r\n$3\r\nSET\r\n$${`k${i}`.length}\r\nk${i}\r\n$${`v${i}`.length}\r\nv${i}\r\n`;
    const r = redisCli(['--pipe'], input);
    expect(r.stdout).toMatch(/errors: 0, replies: 2000/);
    expect(redisCli(['GET', 'k1999']).stdout.trim()).toBe('v1999');
  });
});

describe('ioredis', () => {
  test('commands, pipelines and binary values round-trip', async () => {
    await startCluster();
    const r = ioredis();
    await r.connect();
    const binary = Buffer.from([0, 1, 2, 255, 13, 10, 0]);
    expect(await r.set('bin', binary)).toBe('OK');
    expect(await r.getBuffer('bin')).toEqual(binary);
    const pipe = r.pipeline();
    for (let i = 0; i < 500; i++) pipe.set(`p${i}`, `v${i}`);
    for (let i = 0; i < 500; i++) pipe.get(`p${i}`);
    const results = (await pipe.exec())!;
    expect(results.slice(0, 500).every(([err, v]) => err === null && v === 'OK')).toBe(true);
    expect(results.slice(500).map(([, v]) => v)).toEqual(Array.from({ length: 500 }, (_, i) => `v${i}`));
    expect(await r.mget('p1', 'p2', 'missing')).toEqual(['v1', 'v2', null]);
    expect(await r.del('p1', 'p2', 'missing')).toBe(2);
    expect(await r.exists('p3')).toBe(1);
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = r.scanStream({ match: 'p4*', count: 50 });
      stream.on('data', (keys: string[]) => seen.push(...keys));
      stream.on('end', () => resolve());
      stream.on('error', reject);
    });
    const expected = Array.from({ length: 500 }, (_, i) => `p${i}`).filter((k) => k.startsWith('p4'));
    expect(seen.sort()).toEqual(expected.sort());
    expect(await r.call('SET', 'k', 'v', 'EX', '10')).toBe('OK');
    expect(await r.ttl('k')).toBe(10);
  });

  test('keys: ASCII, multi-byte UTF-8 and long keys work in any command letter case; invalid UTF-8 is refused, nothing lost', async () => {
    await startCluster();
    const r = ioredis();
    await r.connect();
    const keys = ['plain', 'clé-ünïcödé-😀', 'k'.repeat(65) + 'é', 'x'.repeat(64)];
    for (const k of keys) expect(await r.call('sEt', k, `v:${k}`)).toBe('OK');
    for (const k of keys) expect(await r.call('GeT', k)).toBe(`v:${k}`);
    // GET and SET with the wrong arity take the generic path and fail as Redis words it.
    await expect(r.call('get', 'a', 'b')).rejects.toThrow(/wrong number of arguments for 'get'/);
    const bad = Buffer.from([0x6b, 0xff, 0xfe]);
    const refused = 'ERR kvndb keys must be valid UTF-8 (this key is not)';
    await expect(r.set(bad, 'v')).rejects.toThrow(refused);
    await expect(r.get(bad)).rejects.toThrow(refused);
    await expect(r.get(Buffer.concat([Buffer.from('k'.repeat(70)), bad]))).rejects.toThrow(refused);
    // Nothing of a command with one bad key among good ones is applied.
    await expect(r.mset('good1', 'x', bad, 'y')).rejects.toThrow(refused);
    await expect(r.del('plain', bad)).rejects.toThrow(refused);
    // The connection still works and nothing was written for the bad key.
    expect(await r.get('plain')).toBe('v:plain');
    expect(await r.dbsize()).toBe(keys.length);
  });

  test('a protocol error in a pipeline is answered after the replies to the commands before it, then the connection closes', async () => {
    await startCluster();
    const r = ioredis();
    await r.connect();
    await r.set('a', 'first');
    const s = net.connect(respPort, '127.0.0.1');
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    const closed = new Promise((resolve) => s.once('close', resolve));
    s.write('GET a\r\nSET b x\r\n*1\r\n$abc\r\nSET c never\r\n');
    await closed;
    expect(got).toBe('$5\r\nfirst\r\n+OK\r\n-ERR Protocol error: invalid bulk length\r\n');
    expect(await r.get('b')).toBe('x');
    expect(await r.exists('c')).toBe(0);
  });

  test("the router's --max-value and --max-connections apply to the RESP port too", async () => {
    await startCluster(['--max-value', '1k', '--max-connections', '3']);
    const r = ioredis();
    await r.connect();
    expect(await r.set('small', 'x'.repeat(1000))).toBe('OK');
    // Too big: refused before it is buffered, with Redis's wording, and that connection is closed.
    const big = redisCli(['-x', 'SET', 'big'], 'x'.repeat(2000));
    expect(big.stdout + big.stderr).toMatch(/ERR Protocol error: bulk of 20\d\d bytes exceeds the limit of 1024/);
    // `r` holds one of the 3 connections; two more fill the limit and the next is refused.
    const extra: net.Socket[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const s = net.connect(respPort, '127.0.0.1');
        await new Promise((resolve) => s.once('connect', resolve));
        extra.push(s);
      }
      const refused = net.connect(respPort, '127.0.0.1');
      extra.push(refused);
      const reply = await new Promise<string>((resolve) => refused.once('data', (d) => resolve(d.toString())));
      expect(reply).toBe('-ERR max number of clients reached\r\n');
    } finally {
      for (const s of extra) s.destroy();
    }
    // Once those are gone (the router notices the closes shortly), new connections are served.
    let served = '';
    for (let i = 0; i < 100 && served !== '+PONG\r\n'; i++) {
      const s = net.connect(respPort, '127.0.0.1');
      s.on('error', () => {});
      s.write('PING\r\n');
      served = await new Promise<string>((resolve) => {
        s.once('data', (d) => resolve(d.toString()));
        s.once('close', () => resolve(''));
      });
      s.destroy();
      if (served !== '+PONG\r\n') await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(served).toBe('+PONG\r\n');
    expect(await r.get('small')).toBe('x'.repeat(1000));
    expect(await r.exists('big')).toBe(0);
  });

  test('AUTH: the router password is required, wrong ones are refused', async () => {
    await startCluster(['--password', 'pw']);
    expect(redisCli(['GET', 'x']).stdout).toMatch(/NOAUTH/);
    const wrong = redisCli(['--no-auth-warning', '-a', 'nope', 'GET', 'x']);
    expect(wrong.stdout + wrong.stderr).toMatch(/WRONGPASS/); // redis-cli reports the failed AUTH on stderr
    expect(wrong.stdout).toMatch(/NOAUTH/); // and the GET after it is still refused
    expect(redisCli(['--no-auth-warning', '-a', 'pw', 'SET', 'x', '0']).stdout.trim()).toBe('OK');
    const good = ioredis({ password: 'pw' });
    await good.connect();
    expect(await good.set('x', '1')).toBe('OK');
    expect(await good.get('x')).toBe('1');
  });

  test('NO_REPLICAS becomes an error reply carrying that code', async () => {
    ({ respPort, ...router } = await startRouterWithResp());
    const r = ioredis();
    await r.connect();
    await expect(r.get('x')).rejects.toThrow(/^NO_REPLICAS/);
  });
});

describe('timeouts on the RESP port', () => {
  /** A raw connection: `send` writes, `closed` resolves with everything received and when it closed. */
  function raw(): { sock: net.Socket; closed: Promise<{ text: string; afterMs: number }> } {
    const sock = net.connect(respPort, '127.0.0.1');
    const started = Date.now();
    let text = '';
    sock.on('data', (c) => (text += c.toString('latin1')));
    sock.on('error', () => {});
    const closed = new Promise<{ text: string; afterMs: number }>((resolve) => sock.on('close', () => resolve({ text, afterMs: Date.now() - started })));
    return { sock, closed };
  }

  beforeEach(() => startCluster(['--password', 'pw', '--handshake-timeout', '600', '--frame-timeout', '600', '--idle-timeout', '1500']));

  test('a connection that never authenticates is told why and closed after --handshake-timeout', async () => {
    const { closed } = raw();
    const { text, afterMs } = await closed;
    expect(text).toBe('-ERR not authenticated within 600 ms\r\n');
    expect(afterMs).toBeGreaterThanOrEqual(600);
  });

  test('a command dribbled in slower than --frame-timeout is refused after the replies before it, then closed', async () => {
    const { sock, closed } = raw();
    sock.write('*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nval');
    const { text } = await closed;
    expect(text).toBe('+OK\r\n-ERR a command took more than 600 ms to arrive\r\n');
    const db = ioredis({ password: 'pw' });
    await db.connect();
    expect(await db.exists('k')).toBe(0); // the half-sent SET did nothing
  });

  test('an idle connection is closed after --idle-timeout, as Redis does; an active one stays open', async () => {
    const idle = raw();
    idle.sock.write('*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n');
    const busy = raw();
    busy.sock.write('*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n');
    const pinger = setInterval(() => busy.sock.write('*1\r\n$4\r\nPING\r\n'), 300);
    try {
      const { text, afterMs } = await idle.closed;
      expect(text).toBe('+OK\r\n');
      expect(afterMs).toBeGreaterThanOrEqual(1500);
      expect(busy.sock.destroyed).toBe(false);
    } finally {
      clearInterval(pinger);
      busy.sock.destroy();
    }
  });
});

/** A raw RESP connection: send() writes, until() resolves once everything received matches. */
function rawConnection(port: number): { sock: net.Socket; until: (re: RegExp) => Promise<string>; reset: () => void } {
  const sock = net.connect(port, '127.0.0.1');
  sock.on('error', () => {});
  let text = '';
  sock.on('data', (c) => (text += c.toString('latin1')));
  const until = async (re: RegExp): Promise<string> => {
    const deadline = Date.now() + 10000;
    while (!re.test(text)) {
      if (Date.now() > deadline || sock.destroyed) throw new Error(`never received ${re}; got ${JSON.stringify(text)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return text;
  };
  return { sock, until, reset: () => (text = '') };
}

/** A RESP command as an array of bulk strings. */
function cmd(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

describe('RESP3 (HELLO 3)', () => {
  const sockets: net.Socket[] = [];
  afterEach(() => sockets.splice(0).forEach((s) => s.destroy()));
  function raw(): ReturnType<typeof rawConnection> {
    const c = rawConnection(respPort);
    sockets.push(c.sock);
    return c;
  }
  const HELLO3 = (id: number, name = 'kvndb'): string =>
    `%8\r\n$6\r\nserver\r\n$${name.length}\r\n${name}\r\n$7\r\nversion\r\n$5\r\n7.2.0\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:${id}\r\n` +
    `$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n$13\r\nkvndb_version\r\n`;

  test('switches and goes back; nil is _ in RESP3, $-1 in RESP2, as of the command that ran after HELLO', async () => {
    await startCluster();
    const c = raw();
    c.sock.write(cmd('SET', 'k', 'v') + cmd('GET', 'missing') + cmd('HELLO', '3') + cmd('GET', 'missing') + cmd('GET', 'k'));
    const got = await c.until(/\$1\r\nv\r\n$/);
    const id = Number(/:(\d+)\r\n\$4\r\nmode/.exec(got)![1]);
    expect(got.startsWith(`+OK\r\n$-1\r\n${HELLO3(id)}`)).toBe(true);
    expect(got.endsWith('_\r\n$1\r\nv\r\n')).toBe(true);
    c.reset();
    c.sock.write(
      cmd('MGET', 'k', 'missing') + cmd('SET', 'k', 'w', 'NX') + cmd('SET', 'missing', 'x', 'XX', 'GET') + cmd('CLIENT', 'GETNAME') +
        cmd('CONFIG', 'GET', 'databases') + cmd('INFO', 'keyspace') + cmd('PING'),
    );
    expect(await c.until(/\+PONG\r\n$/)).toBe(
      '*2\r\n$1\r\nv\r\n_\r\n_\r\n_\r\n_\r\n%1\r\n$9\r\ndatabases\r\n$1\r\n1\r\n' +
        '=48\r\ntxt:# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n\r\n+PONG\r\n',
    );
    c.reset();
    c.sock.write(cmd('HELLO', '2') + cmd('GET', 'missing') + cmd('CONFIG', 'GET', 'databases'));
    const back = await c.until(/\*2\r\n\$9\r\ndatabases\r\n\$1\r\n1\r\n$/);
    expect(back).toMatch(/^\*16\r\n\$6\r\nserver\r\n[^]*\$5\r\nproto\r\n:2\r\n[^]*\r\n\$-1\r\n\*2\r\n/);
  });

  test('bad versions, HELLO AUTH right and wrong, SETNAME', async () => {
    await startCluster(['--password', 'pw']);
    const c = raw();
    c.sock.write(cmd('HELLO', '4') + cmd('HELLO', 'x') + cmd('HELLO', '3') + cmd('HELLO', '3', 'AUTH', 'default', 'nope') + cmd('GET', 'k'));
    expect(await c.until(/NOAUTH Authentication required\.\r\n$/)).toMatch(
      /^-NOPROTO unsupported protocol version\r\n-ERR Protocol version is not an integer or out of range\r\n-NOAUTH HELLO must be called with the client already authenticated[^\r]*\r\n-WRONGPASS invalid username-password pair or user is disabled\.\r\n-NOAUTH/,
    );
    c.reset();
    c.sock.write(cmd('HELLO', '3', 'AUTH', 'default', 'pw', 'SETNAME', 'app-1') + cmd('CLIENT', 'GETNAME') + cmd('GET', 'k'));
    const got = await c.until(/\$5\r\napp-1\r\n_\r\n$/);
    expect(got).toMatch(/^%8\r\n/);
    c.reset();
    c.sock.write(cmd('HELLO', '3', 'SETNAME', 'has space'));
    expect(await c.until(/\r\n$/)).toBe('-ERR Client names cannot contain spaces, newlines or special characters.\r\n');
  });
});

describe('CLIENT, INFO, TIME and SCAN cursors', () => {
  test('CLIENT SETNAME/GETNAME/ID/INFO/LIST; INFO counts RESP and native clients, keyspace and replicas; TIME', async () => {
    await startCluster();
    const a = ioredis({ connectionName: 'first' });
    const b = ioredis();
    await Promise.all([a.connect(), b.connect()]);
    const native = await client(router.port);
    try {
      expect(await a.client('GETNAME')).toBe('first'); // ioredis sends CLIENT SETNAME
      expect(await b.client('GETNAME')).toBeNull();
      expect(await b.client('SETNAME', 'second')).toBe('OK');
      expect(await b.client('GETNAME')).toBe('second');
      const [idA, idB] = [(await a.client('ID')) as number, (await b.client('ID')) as number];
      expect(idA).not.toBe(idB);
      expect(await b.client('INFO')).toMatch(new RegExp(`^id=${idB} addr=127\\.0\\.0\\.1:\\d+ laddr=127\\.0\\.0\\.1:${respPort} fd=\\d+ name=second age=\\d+ idle=\\d+ flags=N db=0 .* resp=2 .*\\n$`));
      const list = ((await a.client('LIST')) as string).trim().split('\n');
      expect(list.map((l) => /name=(\S*)/.exec(l)![1]).sort()).toEqual(['first', 'second']);
      expect(await a.call('CLIENT', 'SETINFO', 'LIB-NAME', 'mylib')).toBe('OK');
      expect(await a.client('INFO')).toMatch(/ lib-name=mylib /);
      await a.mset('x', '1', 'y', '2', 'z', '3');
      const info = await a.info();
      expect(info).toMatch(/\r\nconnected_clients:3\r\nkvndb_resp_clients:2\r\nkvndb_native_clients:1\r\n/);
      expect(info).toMatch(/# Replication\r\nrole:master\r\nconnected_slaves:2\r\n/);
      expect(info).toMatch(/# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\n$/);
      expect(await a.info('keyspace')).toBe('# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\n');
      expect(await a.info('replication')).toMatch(/^# Replication\r\n[^#]*$/);
      const before = Date.now();
      const [sec, usec] = (await a.time()) as unknown as [string, string];
      expect(sec).toMatch(/^\d+$/);
      expect(usec).toMatch(/^\d{1,6}$/);
      expect(Math.abs(Number(sec) * 1000 + Number(usec) / 1000 - before)).toBeLessThan(2000);
    } finally {
      await native.close();
    }
  });

  test('SCAN: numeric cursors, valid on any connection, every key once; garbage and unknown cursors refused; TYPE and MATCH', async () => {
    await startCluster();
    const a = ioredis();
    const b = ioredis();
    await Promise.all([a.connect(), b.connect()]);
    const keys = Array.from({ length: 25 }, (_, i) => `s${i}`);
    await a.mset(...keys.flatMap((k) => [k, 'v']));
    const seen: string[] = [];
    let cursor = '0';
    let turn = 0;
    do {
      // Alternate connections: a cursor handed out on one works on the other, as in Redis.
      const [next, page] = (await (turn++ % 2 ? b : a).scan(cursor, 'COUNT', 4)) as [string, string[]];
      expect(next).toMatch(/^\d+$/);
      seen.push(...page);
      cursor = next;
    } while (cursor !== '0');
    expect(seen.sort()).toEqual([...keys].sort());
    expect(turn).toBeGreaterThan(5);
    for (const bad of ['abc', '-1', '1', 'czE=', '99999999999999999999999']) await expect(a.scan(bad)).rejects.toThrow(/^ERR invalid cursor$/);
    expect(await a.scan('0', 'TYPE', 'hash')).toEqual(['0', []]);
    const [, strings] = (await a.scan('0', 'COUNT', 100, 'TYPE', 'string')) as [string, string[]];
    expect(strings.length).toBe(25);
    const [, matched] = (await a.scan('0', 'MATCH', 's1*', 'COUNT', 100)) as [string, string[]];
    expect(matched.sort()).toEqual(['s1', 's10', 's11', 's12', 's13', 's14', 's15', 's16', 's17', 's18', 's19']);
  });
});
