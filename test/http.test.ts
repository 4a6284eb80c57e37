/**
 * The HTTP front door (--http-port) against a real router and two memory replicas, with
 * Node's fetch and Debian's curl: every route, conditional writes racing, `latest`, large
 * values (and the router's RSS growth for 64 MiB), content types (stored, cleared by a
 * RESP SET, carried by a SQLite resync and served by `kvndb standalone`), and bad input that
 * must get a clean 4xx JSON error and change nothing.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { makeCert } from './security/harness';
import Database from 'better-sqlite3';
import {
  KVNDB_BIN,
  KvndbProcess,
  client,
  freePort,
  sleep,
  startReplica,
  startRouterWithHttp,
  stopAll,
  tempDir,
  waitConverged,
  waitInSync,
  waitUntil,
  type RouterHandle,
} from './helpers/cluster';

jest.setTimeout(120000);

const PASSWORD = 'http-s3cret';
const AUTH = { authorization: `Bearer ${PASSWORD}` };
/** The frame timeout the router runs with here: the slow-body test waits past it. */
const FRAME_TIMEOUT_MS = 3000;

let router: RouterHandle & { httpPort: number; url: string };
let base: string;

beforeAll(async () => {
  router = await startRouterWithHttp(['--frame-timeout', String(FRAME_TIMEOUT_MS)], { KVNDB_PASSWORD: PASSWORD });
  base = router.url.replace(/\/$/, '');
  startReplica('memory', router.port, { name: 'm1', env: { KVNDB_PASSWORD: PASSWORD } });
  startReplica('memory', router.port, { name: 'm2', env: { KVNDB_PASSWORD: PASSWORD } });
  const db = await client(router.port, { password: PASSWORD });
  await waitInSync(db, 2);
  await db.close();
});

afterAll(() => stopAll());

const kv = (key: string): string => `${base}/v1/kv/${encodeURIComponent(key)}`;

async function http(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { ...AUTH, ...(init.headers as Record<string, string> | undefined) } });
}

async function seq(): Promise<number> {
  const res = await http(`${base}/v1/status`);
  return ((await res.json()) as { seq: number }).seq;
}

/** A JSON error answer: its status, and a body { error, message }. */
async function expectError(res: Response, status: number, code: string): Promise<string> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await res.json()) as { error: string; message: string };
  expect(body.error).toBe(code);
  expect(typeof body.message).toBe('string');
  expect(body.message.length).toBeGreaterThan(0);
  return body.message;
}

function curl(args: string[], input?: Buffer): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync('curl', ['-sS', ...args], { input, timeout: 60000, maxBuffer: 128 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** Raw HTTP/1.1 over a socket: for requests fetch and curl refuse to send (bad escapes, raw bytes, trickled bodies). */
function raw(request: Buffer | string, opts: { trickle?: { after: number; waitMs: number } } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(router.httpPort, '127.0.0.1');
    let data = '';
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const m = /^HTTP\/1\.1 (\d+)/.exec(data);
      if (!m) return reject(new Error(`no HTTP answer: ${JSON.stringify(data.slice(0, 200))}`));
      resolve({ status: Number(m[1]), body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    socket.on('connect', () => {
      const buf = Buffer.isBuffer(request) ? request : Buffer.from(request, 'latin1');
      if (opts.trickle) {
        socket.write(buf.subarray(0, opts.trickle.after));
        // The rest would come later; the router must not wait for it forever.
        setTimeout(() => socket.end(), opts.trickle.waitMs);
      } else {
        socket.end(buf);
      }
    });
  });
}

describe('the key/value routes with fetch', () => {
  test('PUT, GET, HEAD, POST and DELETE one key; keys with UTF-8 and "/" are addressable', async () => {
    const key = 'dir/sub/ключ ✓';
    let res = await http(kv(key), { method: 'PUT', body: 'first', headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(200);
    const put = (await res.json()) as { key: string; version: number };
    expect(put.key).toBe(key);
    expect(res.headers.get('etag')).toBe(`"${put.version}"`);

    res = await http(kv(key));
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe(`"${put.version}"`);
    expect(res.headers.get('x-kvndb-version')).toBe(String(put.version));
    // The PUT's Content-Type is stored with the value.
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(await res.text()).toBe('first');

    res = await http(kv(key), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('5');
    expect(await res.text()).toBe('');

    // If-None-Match with the current ETag: 304, no body.
    res = await http(kv(key), { headers: { 'if-none-match': `"${put.version}"` } });
    expect(res.status).toBe(304);

    res = await http(kv(key), { method: 'POST', body: 'second' });
    expect(res.status).toBe(200);
    expect(await (await http(kv(key))).text()).toBe('second');

    res = await http(kv(key), { method: 'DELETE' });
    expect(res.status).toBe(204);
    await expectError(await http(kv(key)), 404, 'NOT_FOUND');
    await expectError(await http(kv(key), { method: 'DELETE' }), 404, 'NOT_FOUND');
    expect((await http(kv(key), { method: 'HEAD' })).status).toBe(404);
  });

  test('binary values come back byte for byte', async () => {
    const value = crypto.randomBytes(4096);
    expect((await http(kv('bin'), { method: 'PUT', body: value })).status).toBe(200);
    const back = Buffer.from(await (await http(kv('bin'))).arrayBuffer());
    expect(back.equals(value)).toBe(true);
  });

  test('If-Match, If-None-Match: * and ?ttl= make writes conditional and expiring', async () => {
    let res = await http(kv('cas'), { method: 'PUT', body: 'a', headers: { 'if-none-match': '*' } });
    expect(res.status).toBe(200);
    const v1 = ((await res.json()) as { version: number }).version;
    await expectError(await http(kv('cas'), { method: 'PUT', body: 'b', headers: { 'if-none-match': '*' } }), 412, 'PRECONDITION_FAILED');
    await expectError(await http(kv('cas'), { method: 'PUT', body: 'b', headers: { 'if-match': `"${v1 + 1000}"` } }), 412, 'PRECONDITION_FAILED');
    res = await http(kv('cas'), { method: 'PUT', body: 'b', headers: { 'if-match': `"${v1}"` } });
    expect(res.status).toBe(200);
    const v2 = ((await res.json()) as { version: number }).version;
    expect(v2).toBeGreaterThan(v1);
    // If-Match: * only writes an existing key.
    await expectError(await http(kv('cas-missing'), { method: 'PUT', body: 'x', headers: { 'if-match': '*' } }), 412, 'PRECONDITION_FAILED');
    // A conditional delete: the wrong version changes nothing, the right one deletes.
    await expectError(await http(kv('cas'), { method: 'DELETE', headers: { 'if-match': `"${v1}"` } }), 412, 'PRECONDITION_FAILED');
    expect(await (await http(kv('cas'))).text()).toBe('b');
    expect((await http(kv('cas'), { method: 'DELETE', headers: { 'if-match': `"${v2}"` } })).status).toBe(204);

    res = await http(`${kv('ephemeral')}?ttl=300`, { method: 'PUT', body: 'soon gone' });
    expect(res.status).toBe(200);
    const got = await http(kv('ephemeral'));
    expect(Number(got.headers.get('x-kvndb-expires'))).toBeGreaterThan(Date.now() - 60000);
    await sleep(600);
    await expectError(await http(kv('ephemeral')), 404, 'NOT_FOUND');
  });

  test('two racing If-Match PUTs on one version: exactly one wins', async () => {
    for (let round = 0; round < 5; round++) {
      const key = `race-${round}`;
      const v = ((await (await http(kv(key), { method: 'PUT', body: 'start' })).json()) as { version: number }).version;
      const [a, b] = await Promise.all(
        ['left', 'right'].map((body) => http(kv(key), { method: 'PUT', body, headers: { 'if-match': `"${v}"` } })),
      );
      const statuses = [a.status, b.status].sort();
      expect(statuses).toEqual([200, 412]);
      const winner = a.status === 200 ? 'left' : 'right';
      expect(await (await http(kv(key))).text()).toBe(winner);
    }
  });

  test('GET /v1/kv?keys= answers a JSON map with versions and updated times; &latest=1 the newest one', async () => {
    await http(kv('l1'), { method: 'PUT', body: 'one' });
    await http(kv('l2'), { method: 'PUT', body: Buffer.from([0xff, 0x00]) });
    await http(kv('l3'), { method: 'PUT', body: 'three' });
    await http(kv('l1'), { method: 'PUT', body: 'one again' });
    let res = await http(`${base}/v1/kv?keys=l1,l2,l3,nope`);
    expect(res.status).toBe(200);
    const map = (await res.json()) as Record<string, { value: string; encoding: string; version: number; updated: number } | null>;
    expect(map.l1).toMatchObject({ value: 'one again', encoding: 'utf8' });
    expect(map.l2).toMatchObject({ value: Buffer.from([0xff, 0x00]).toString('base64'), encoding: 'base64' });
    expect(map.nope).toBeNull();
    expect(map.l1!.version).toBeGreaterThan(map.l3!.version);
    expect(map.l1!.updated).toBeGreaterThan(0);

    res = await http(`${base}/v1/kv?keys=l2,l3,l1&latest=1`);
    expect(res.status).toBe(200);
    expect(decodeURIComponent(res.headers.get('x-kvndb-key')!)).toBe('l1');
    expect(await res.text()).toBe('one again');
    await http(kv('l3'), { method: 'PUT', body: 'newest' });
    res = await http(`${base}/v1/kv?keys=l1,l2,l3&latest=1`);
    expect(await res.text()).toBe('newest');
    await expectError(await http(`${base}/v1/kv?keys=none1,none2&latest=1`), 404, 'NOT_FOUND');
  });

  test('POST /v1/kv with a form body stores each field', async () => {
    const res = await http(`${base}/v1/kv`, {
      method: 'POST',
      body: 'form-a=1&form-b=hello+world&form-%C3%A9=%C3%A9t%C3%A9',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(200);
    expect(await (await http(kv('form-b'))).text()).toBe('hello world');
    expect(await (await http(kv('form-é'))).text()).toBe('été');
  });

  test('GET /v1/keys pages through a prefix with a cursor', async () => {
    for (let i = 0; i < 25; i++) await http(kv(`page/${String(i).padStart(2, '0')}`), { method: 'PUT', body: String(i) });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `prefix=${encodeURIComponent('page/')}&limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const body = (await (await http(`${base}/v1/keys?${q}`)).json()) as { keys: string[]; cursor: string | null };
      seen.push(...body.keys);
      cursor = body.cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `page/${String(i).padStart(2, '0')}`));
    expect(pages).toBe(3);
  });

  test('POST /v1/txn runs a transaction; values as UTF-8 or base64', async () => {
    await http(kv('acct'), { method: 'PUT', body: '10' });
    let res = await http(`${base}/v1/txn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        if: [{ key: 'acct', value: '10' }],
        then: [{ op: 'incr', key: 'acct', by: 5 }, { op: 'set', key: 'txn-log', value: 'paid' }, { op: 'get', key: 'acct' }],
        else: [{ op: 'get', key: 'acct' }],
      }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ succeeded: true, results: [15, true, '15'] });

    res = await http(`${base}/v1/txn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        encoding: 'base64',
        if: [{ key: 'acct', value: Buffer.from('10').toString('base64') }],
        then: [{ op: 'del', key: 'acct' }],
        else: [{ op: 'getEntry', key: 'acct' }],
      }),
    });
    const body = (await res.json()) as { succeeded: boolean; results: Array<{ value: string; encoding: string; version: number }> };
    expect(body.succeeded).toBe(false);
    expect(body.results[0]).toMatchObject({ value: Buffer.from('15').toString('base64'), encoding: 'base64' });

    const before = await seq();
    await expectError(
      await http(`${base}/v1/txn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ then: [{ op: 'nope', key: 'x' }] }) }),
      400,
      'BAD_REQUEST',
    );
    await expectError(await http(`${base}/v1/txn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"then": [' }), 400, 'BAD_REQUEST');
    expect(await seq()).toBe(before);
  });

  test('status, health and readiness, metrics and the monitor page', async () => {
    const status = (await (await http(`${base}/v1/status`)).json()) as { replicas: Array<{ state: string }>; monitor: string };
    expect(status.replicas.filter((r) => r.state === 'in-sync')).toHaveLength(2);
    expect(status.monitor).toBe(router.url);
    // Probes answer without credentials.
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready', inSync: 2 });
    await expectError(await fetch(`${base}/metrics`), 401, 'AUTH_FAILED');
    const metrics = await http(`${base}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await metrics.text()).toMatch(/^kvndb_requests_total\{door="http",command="put"\} \d+$/m);
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>kvndb monitor</title>');
    expect((await fetch(`${base}/monitor/uplot.js`)).status).toBe(200);
    await expectError(await http(`${base}/v2/nothing`), 404, 'NOT_FOUND');
  });

  test("the console's status names the monitor's address", () => {
    const r = spawnSync(process.execPath, [KVNDB_BIN, 'cmd', '127.0.0.1', String(router.port), 'status'], {
      env: { ...process.env, KVNDB_PASSWORD: PASSWORD },
      encoding: 'utf8',
      timeout: 30000,
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`web monitor: ${router.url} (metrics at ${router.url}metrics)`);
  });

  test('the monitor login gives a session token; the password never goes in a query string', async () => {
    expect(await (await fetch(`${base}/v1/login`)).json()).toEqual({ passwordRequired: true });
    await expectError(await fetch(`${base}/v1/login`, { method: 'POST', headers: { authorization: 'Bearer wrong' } }), 401, 'AUTH_FAILED');
    const { token } = (await (await fetch(`${base}/v1/login`, { method: 'POST', headers: AUTH })).json()) as { token: string };
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect((await fetch(`${base}/v1/status`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(`${base}/v1/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status).toBe(204);
    await expectError(await fetch(`${base}/v1/status`, { headers: { authorization: `Bearer ${token}` } }), 401, 'AUTH_FAILED');
    for (const q of ['password', 'token', 'auth', 'access_token']) {
      await expectError(await fetch(`${base}/v1/status?${q}=${PASSWORD}`), 401, 'AUTH_FAILED');
    }
  });
});

describe('curl', () => {
  test('PUT a file, GET it back, HEAD, DELETE, basic auth, form and -d', () => {
    const dir = tempDir('kvndb-http-curl-');
    const file = path.join(dir, 'value.bin');
    const value = crypto.randomBytes(300 * 1024);
    fs.writeFileSync(file, value);
    const url = kv('curl/file');
    let r = curl(['-f', '-H', `Authorization: Bearer ${PASSWORD}`, '-X', 'PUT', '--data-binary', `@${file}`, url]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout.toString())).toMatchObject({ key: 'curl/file' });
    r = curl(['-f', '-u', `anyone:${PASSWORD}`, url]);
    expect(r.stdout.equals(value)).toBe(true);
    r = curl(['-f', '-I', '-u', `:${PASSWORD}`, url]);
    expect(r.stdout.toString()).toMatch(/^etag: "\d+"/im);
    expect(r.stdout.toString()).toMatch(new RegExp(`^content-length: ${value.length}\\r?$`, 'im'));
    r = curl(['-f', '-u', `:${PASSWORD}`, '-d', 'curl-form=from curl', `${base}/v1/kv`]);
    expect(JSON.parse(r.stdout.toString())).toEqual({ stored: ['curl-form'] });
    r = curl(['-f', '-u', `:${PASSWORD}`, '-d', 'posted raw', kv('curl/posted')]);
    expect(curl(['-f', '-u', `:${PASSWORD}`, kv('curl/posted')]).stdout.toString()).toBe('posted raw');
    r = curl(['-f', '-u', `:${PASSWORD}`, '-X', 'DELETE', '-o', '/dev/null', '-w', '%{http_code}', url]);
    expect(r.stdout.toString()).toBe('204');
    r = curl(['-u', `:${PASSWORD}`, '-w', '\n%{http_code}', url]);
    const [body, code] = r.stdout.toString().split('\n');
    expect(code).toBe('404');
    expect(JSON.parse(body)).toMatchObject({ error: 'NOT_FOUND' });
  });

  test('a wrong password is a 401 JSON error after a delay', () => {
    const started = Date.now();
    const r = curl(['-u', ':wrong', '-w', '\n%{http_code}', kv('anything')]);
    const [body, code] = r.stdout.toString().split('\n');
    expect(code).toBe('401');
    expect(JSON.parse(body)).toMatchObject({ error: 'AUTH_FAILED' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });
});

describe('bad input: a clean 4xx JSON error, and nothing changes', () => {
  test('an invalid percent-encoding and a key that is not UTF-8', async () => {
    const before = await seq();
    for (const pathPart of ['/v1/kv/bad%ZZkey', '/v1/kv/bad%2', '/v1/kv/%FF%FE', '/v1/kv/caf%E9']) {
      for (const method of ['GET', 'PUT']) {
        const res = await raw(
          `${method} ${pathPart} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${PASSWORD}\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx`,
        );
        expect(res.status).toBe(400);
        const body = JSON.parse(res.body) as { error: string; message: string };
        expect(body.error).toBe('BAD_REQUEST');
        expect(body.message).toMatch(/percent-encoding|UTF-8/);
      }
    }
    // Raw (unescaped) bytes that are not UTF-8 in the request line.
    const rawBytes = Buffer.concat([
      Buffer.from('PUT /v1/kv/x'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(`y HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${PASSWORD}\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx`),
    ]);
    const res = await raw(rawBytes);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'BAD_REQUEST' });
    // A bad query parameter: not a key, but refused as clearly.
    await expectError(await http(`${base}/v1/keys?prefix=%ZZ`), 400, 'BAD_REQUEST');
    await expectError(await http(`${kv('t')}?ttl=-5`, { method: 'PUT', body: 'x' }), 400, 'BAD_REQUEST');
    await expectError(await http(kv('t'), { method: 'PUT', body: 'x', headers: { 'if-match': 'W/"abc"' } }), 400, 'BAD_REQUEST');
    await expectError(await http(`${base}/v1/kv/`), 400, 'BAD_REQUEST');
    expect(await seq()).toBe(before);
  });

  test('an oversized body is refused from its Content-Length, before it is read', async () => {
    const before = await seq();
    const res = await raw(
      `PUT /v1/kv/huge HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${PASSWORD}\r\nContent-Length: ${65 * 1024 * 1024}\r\n\r\nonly a little`,
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'TOO_LARGE' });
    await expectError(await http(kv('huge')), 404, 'NOT_FOUND');
    expect(await seq()).toBe(before);
  });

  test('a chunked body past the value limit is cut off with 413', async () => {
    const before = await seq();
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 70) return controller.close();
        sent++;
        controller.enqueue(chunk);
      },
    });
    let status = 0;
    try {
      const res = await http(kv('huge-chunked'), { method: 'PUT', body: stream, duplex: 'half' } as RequestInit);
      status = res.status;
      expect(await res.json()).toMatchObject({ error: 'TOO_LARGE' });
    } catch {
      // The router may close the connection while fetch is still sending: refused either way.
      status = 413;
    }
    expect(status).toBe(413);
    await expectError(await http(kv('huge-chunked')), 404, 'NOT_FOUND');
    expect(await seq()).toBe(before);
  });

  test('a body that trickles in (slowloris) gets 408 after the frame timeout', async () => {
    const before = await seq();
    const started = Date.now();
    const res = await raw(
      `PUT /v1/kv/slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${PASSWORD}\r\nContent-Length: 100\r\n\r\n0123456789`,
      { trickle: { after: 1000, waitMs: FRAME_TIMEOUT_MS * 3 } },
    );
    expect(res.status).toBe(408);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'REQUEST_TIMEOUT' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(FRAME_TIMEOUT_MS - 100);
    expect(Date.now() - started).toBeLessThan(FRAME_TIMEOUT_MS * 3);
    await expectError(await http(kv('slow')), 404, 'NOT_FOUND');
    expect(await seq()).toBe(before);
  });

  test('without credentials a body is never read: 401 at once, the connection closed', async () => {
    const head = `PUT /v1/kv/unauth HTTP/1.1\r\nHost: x\r\nContent-Length: ${60 * 1024 * 1024}\r\n\r\n`;
    const started = Date.now();
    const res = await raw(head + 'only the start of a body', { trickle: { after: head.length + 5, waitMs: 20000 } });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'AUTH_FAILED' });
    // The router closed the connection itself, long before the client would have.
    expect(Date.now() - started).toBeLessThan(10000);
  });

  test('a wrong password and a missing key', async () => {
    const before = await seq();
    await expectError(await fetch(kv('p'), { method: 'PUT', body: 'x', headers: { authorization: 'Bearer nope' } }), 401, 'AUTH_FAILED');
    await expectError(await fetch(kv('p'), { method: 'PUT', body: 'x', headers: { authorization: `Basic ${Buffer.from('u:nope').toString('base64')}` } }), 401, 'AUTH_FAILED');
    await expectError(await fetch(kv('p'), { method: 'PUT', body: 'x' }), 401, 'AUTH_FAILED');
    await expectError(await http(kv('never-set')), 404, 'NOT_FOUND');
    expect(await seq()).toBe(before);
  });
});

describe('content types', () => {
  const HTML = 'text/html; charset=utf-8';

  test('a PUT stores its Content-Type; GET and HEAD give it back exactly (fetch and curl), as do ?keys=, latest and the native client', async () => {
    let res = await http(kv('ct/page'), { method: 'PUT', body: '<h1>été</h1>', headers: { 'content-type': HTML } });
    expect(res.status).toBe(200);
    res = await http(kv('ct/page'));
    expect(res.headers.get('content-type')).toBe(HTML);
    expect(await res.text()).toBe('<h1>été</h1>');
    res = await http(kv('ct/page'), { method: 'HEAD' });
    expect([res.status, res.headers.get('content-type'), res.headers.get('content-length')]).toEqual([200, HTML, String(Buffer.byteLength('<h1>été</h1>'))]);
    const got = curl(['-f', '-i', '-H', `Authorization: Bearer ${PASSWORD}`, kv('ct/page')]).stdout.toString();
    expect(got).toMatch(/^content-type: text\/html; charset=utf-8\r$/im);
    expect(got.endsWith('\r\n\r\n<h1>été</h1>')).toBe(true);
    expect(curl(['-f', '-I', '-u', `:${PASSWORD}`, kv('ct/page')]).stdout.toString()).toMatch(/^content-type: text\/html; charset=utf-8\r$/im);

    // curl --data-binary sends the form type whatever the bytes are: stored raw, without a type.
    curl(['-f', '-u', `:${PASSWORD}`, '-X', 'PUT', '--data-binary', 'raw bytes', kv('ct/form')]);
    res = await http(kv('ct/form'));
    expect([res.headers.get('content-type'), await res.text()]).toEqual(['application/octet-stream', 'raw bytes']);
    curl(['-f', '-u', `:${PASSWORD}`, '-X', 'PUT', '-H', 'Content-Type: image/svg+xml', '--data-binary', '<svg/>', kv('ct/svg')]);
    expect((await http(kv('ct/svg'))).headers.get('content-type')).toBe('image/svg+xml');

    res = await http(`${base}/v1/kv?keys=ct/page,ct/form,ct/none`);
    const map = (await res.json()) as Record<string, Record<string, unknown> | null>;
    expect(map['ct/page']).toMatchObject({ value: '<h1>été</h1>', contentType: HTML });
    expect(map['ct/form']).not.toHaveProperty('contentType');
    expect(map['ct/none']).toBeNull();
    res = await http(`${base}/v1/kv?keys=ct/form,ct/svg&latest=1`);
    expect([decodeURIComponent(res.headers.get('x-kvndb-key')!), res.headers.get('content-type')]).toEqual(['ct/svg', 'image/svg+xml']);

    const db = await client(router.port, { password: PASSWORD });
    try {
      expect(await db.getEntry('ct/page')).toMatchObject({ value: Buffer.from('<h1>été</h1>'), contentType: HTML });
      expect(await db.getEntry('ct/form')).not.toHaveProperty('contentType');
      await db.set('ct/native', '{"a":1}', { contentType: 'application/json' });
      res = await http(kv('ct/native'));
      expect([res.headers.get('content-type'), await res.text()]).toEqual(['application/json', '{"a":1}']);
      // A native SET without one replaces the value and its type; APPEND keeps the type.
      await db.set('ct/native', 'plain');
      expect((await http(kv('ct/native'))).headers.get('content-type')).toBe('application/octet-stream');
      await db.set('ct/log', 'line 1\n', { contentType: 'text/plain' });
      await db.append('ct/log', 'line 2\n');
      res = await http(kv('ct/log'));
      expect([res.headers.get('content-type'), await res.text()]).toEqual(['text/plain', 'line 1\nline 2\n']);
    } finally {
      await db.close();
    }

    // A PUT without a Content-Type replaces the value and clears the type.
    res = await http(kv('ct/page'), { method: 'PUT', body: Buffer.from('bytes') });
    expect(res.status).toBe(200);
    res = await http(kv('ct/page'));
    expect([res.headers.get('content-type'), await res.text()]).toEqual(['application/octet-stream', 'bytes']);
  });

  test('an invalid Content-Type is a 400 JSON error and changes nothing', async () => {
    await http(kv('ct/keep'), { method: 'PUT', body: 'kept', headers: { 'content-type': 'text/plain' } });
    const version = (await http(kv('ct/keep'))).headers.get('etag');
    const before = await seq();
    for (const type of ['text', 'text/html;', 'text/html; charset', 'a b/c', '/html', `text/${'x'.repeat(251)}`]) {
      const message = await expectError(await http(kv('ct/keep'), { method: 'PUT', body: 'lost', headers: { 'content-type': type } }), 400, 'BAD_REQUEST');
      expect(message).toMatch(/content type|media type/);
    }
    expect(await seq()).toBe(before);
    const res = await http(kv('ct/keep'));
    expect([res.headers.get('etag'), res.headers.get('content-type'), await res.text()]).toEqual([version, 'text/plain', 'kept']);
  });

  test('a RESP SET clears it, RESP APPEND keeps it, and a second SQLite replica resynced from the first has the same types', async () => {
    const respPort = await freePort();
    const r = await startRouterWithHttp(['--resp-port', String(respPort)]);
    const url = (key: string) => `${r.url}v1/kv/${encodeURIComponent(key)}`;
    const dir = tempDir('kvndb-http-ct-');
    const files = { s1: path.join(dir, 's1.sqlite'), s2: path.join(dir, 's2.sqlite') };
    const s1 = startReplica('sqlite', r.port, { name: 's1', file: files.s1 });
    const db = await client(r.port);
    try {
      await waitInSync(db, 1);
      for (const [key, type] of [['a', HTML], ['b', 'text/plain'], ['c', 'application/json'], ['d', 'image/png']]) {
        expect((await fetch(url(key), { method: 'PUT', body: `value of ${key}`, headers: { 'content-type': type } })).status).toBe(200);
      }
      const cli = (...args: string[]) => spawnSync('redis-cli', ['-p', String(respPort), ...args], { encoding: 'utf8', timeout: 10000 }).stdout.trim();
      expect(cli('SET', 'a', 'set by redis-cli')).toBe('OK');
      expect(cli('APPEND', 'b', '+more')).toBe(String('value of b+more'.length));
      expect(cli('INCR', 'n')).toBe('1');
      let res = await fetch(url('a'));
      expect([res.headers.get('content-type'), await res.text()]).toEqual(['application/octet-stream', 'set by redis-cli']);
      res = await fetch(url('b'));
      expect([res.headers.get('content-type'), await res.text()]).toEqual(['text/plain', 'value of b+more']);

      // A new, empty SQLite replica joins: a full resync copies s1's file, content types included.
      const mark = r.proc.output.length;
      startReplica('sqlite', r.port, { name: 's2', file: files.s2 });
      await r.proc.waitFor(/full resync \d+ of s2 from s1/, 30000, mark);
      await waitConverged(db, ['s1', 's2']);
      const types = (file: string) => {
        const f = new Database(file, { readonly: true, fileMustExist: true });
        try {
          return f.prepare('SELECT key, value, version, content_type FROM kv ORDER BY key').all();
        } finally {
          f.close();
        }
      };
      const copied = types(files.s2);
      expect(copied).toEqual(types(files.s1));
      expect(copied.map((row) => (row as { content_type: string | null }).content_type)).toEqual([null, 'text/plain', 'application/json', 'image/png', null]);

      // With s1 gone, s2 answers the HTTP door with the types it was given.
      await s1.stop();
      await waitUntil('only s2 serves', async () => (await db.status()).replicas.filter((x) => x.state === 'in-sync').length === 1);
      res = await fetch(url('c'));
      expect([res.headers.get('content-type'), await res.text()]).toEqual(['application/json', 'value of c']);
      expect((await fetch(url('a'))).headers.get('content-type')).toBe('application/octet-stream');
    } finally {
      await db.close();
    }
  });

  test('kvndb standalone --http-port stores and serves it, beside the reads its embedded store answers, and keeps it across a restart', async () => {
    const dir = tempDir('kvndb-http-ct-standalone-');
    const httpPort = await freePort();
    const start = async () => {
      const proc = new KvndbProcess(['standalone', '127.0.0.1', '0', '--data', dir, '--http-port', String(httpPort)]);
      const m = await proc.waitFor(/kvndb standalone listening on 127\.0\.0\.1:(\d+)/, 30000);
      await proc.waitFor(/^ready$/m, 30000);
      return { proc, port: Number(m[1]) };
    };
    const url = `http://127.0.0.1:${httpPort}/v1/kv/doc`;
    let s = await start();
    const db = await client(s.port);
    try {
      expect((await fetch(url, { method: 'PUT', body: '<p>one</p>', headers: { 'content-type': HTML } })).status).toBe(200);
      // A native GET (answered from the embedded store and its value cache) and the HTTP GET agree.
      expect(await db.get('doc')).toBe('<p>one</p>');
      let res = await fetch(url);
      expect([res.headers.get('content-type'), await res.text()]).toEqual([HTML, '<p>one</p>']);
      await db.set('doc', 'two');
      expect(await db.get('doc')).toBe('two');
      res = await fetch(url);
      expect([res.headers.get('content-type'), await res.text()]).toEqual(['application/octet-stream', 'two']);
      await db.set('doc', '<p>three</p>', { contentType: 'text/html' });
      expect(await db.get('doc')).toBe('<p>three</p>');
      res = await fetch(url);
      expect([res.headers.get('content-type'), await res.text()]).toEqual(['text/html', '<p>three</p>']);
    } finally {
      await db.close();
    }
    await s.proc.stop();
    s = await start();
    const res = await fetch(url);
    expect([res.headers.get('content-type'), await res.text()]).toEqual(['text/html', '<p>three</p>']);
    await s.proc.stop();
  });
});

/** The router process's resident and peak resident set, in bytes (Linux /proc). */
function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Resets the peak RSS so the next reading is of what follows (Linux: clear_refs 5). */
function resetPeak(pid: number): void {
  fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

describe('large values', () => {
  /** The router's peak RSS growth (bytes) while `work` runs, from a settled start. */
  async function peakGrowth(work: () => Promise<void>): Promise<number> {
    const pid = router.proc.child.pid!;
    await sleep(300);
    const before = memoryOf(pid).rss;
    resetPeak(pid);
    await work();
    return memoryOf(pid).hwm - before;
  }

  test('a 64 MiB PUT and GET round-trip; the HTTP layer holds the value once, beside what the native door costs', async () => {
    const size = 64 * 1024 * 1024 - 1024;
    const value = crypto.randomBytes(size);
    // 64 MiB through two replicas can take more than the helper's 10 s on a busy machine.
    const db = await client(router.port, { password: PASSWORD, requestTimeoutMs: 90000 });
    try {
      // Warm up both paths (JIT, pools) with a smaller value first.
      await http(kv('big-warm'), { method: 'PUT', body: value.subarray(0, 4 * 1024 * 1024) });
      await (await http(kv('big-warm'))).arrayBuffer();
      await db.set('big-warm-native', value.subarray(0, 4 * 1024 * 1024));

      const nativePut = await peakGrowth(async () => {
        await db.set('big-native', value);
      });
      const httpPut = await peakGrowth(async () => {
        expect((await http(kv('big'), { method: 'PUT', body: value })).status).toBe(200);
      });
      const nativeGet = await peakGrowth(async () => {
        expect((await db.getBuffer('big-native'))!.length).toBe(size);
      });
      let back = Buffer.alloc(0);
      const httpGet = await peakGrowth(async () => {
        const res = await http(kv('big'));
        expect(res.status).toBe(200);
        expect(res.headers.get('content-length')).toBe(String(size));
        back = Buffer.from(await res.arrayBuffer());
      });
      expect(back.equals(value)).toBe(true);

      const mib = (n: number): string => (n / 1048576).toFixed(0);
      // The figures docs/HTTP.md quotes.
      console.log(
        `64 MiB value, router peak RSS growth: PUT http ${mib(httpPut)} MiB (native ${mib(nativePut)} MiB), GET http ${mib(httpGet)} MiB (native ${mib(nativeGet)} MiB)`,
      );
      // A PUT costs the router the write frame and its backlog copy whatever the door; the
      // HTTP body is read into one buffer of its Content-Length, never chunks plus a concat.
      expect(httpPut).toBeLessThan(nativePut + 0.5 * size);
      expect(httpPut).toBeLessThan(2.5 * size);
      // A GET: the replica's answer frame, sent on as is.
      expect(httpGet).toBeLessThan(2.25 * size);
    } finally {
      await db.close();
    }
    await http(kv('big'), { method: 'DELETE' });
  });
});

describe('TLS', () => {
  test('--type tls serves HTTPS with the router certificate', async () => {
    const { cert, key } = makeCert();
    const tlsRouter = await startRouterWithHttp(['--type', 'tls', '--tls-cert', cert, '--tls-key', key], { KVNDB_PASSWORD: PASSWORD });
    expect(tlsRouter.url).toMatch(/^https:\/\//);
    startReplica('memory', tlsRouter.port, { name: 'tls-m', args: ['--type', 'tls', '--tls-ca', cert], env: { KVNDB_PASSWORD: PASSWORD } });
    const url = `${tlsRouter.url}v1/kv/secure`;
    // curl trusting the certificate; plain HTTP to the port gets nothing.
    let r: ReturnType<typeof curl> = { status: 1, stdout: Buffer.alloc(0), stderr: '' };
    for (let i = 0; i < 100; i++) {
      r = curl(['-f', '--cacert', cert, '-u', `:${PASSWORD}`, '-X', 'PUT', '--data-binary', 'over tls', url]);
      if (r.status === 0) break;
      await sleep(100);
    }
    expect(r.status).toBe(0);
    expect(curl(['-f', '--cacert', cert, '-u', `:${PASSWORD}`, url]).stdout.toString()).toBe('over tls');
    const plain = curl(['-u', `:${PASSWORD}`, `http://127.0.0.1:${tlsRouter.httpPort}/v1/kv/secure`]);
    expect(plain.stdout.toString()).not.toContain('over tls');
    await tlsRouter.proc.stop();
  });
});
