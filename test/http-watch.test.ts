/**
 * GET /v1/watch (Server-Sent Events) against a real router with a tiny history
 * (--backlog-size 64k) and a memory replica: events in seq order for a prefix, resume with
 * Last-Event-ID, COMPACTED before the stream (410) and during it (a client that stops
 * reading is cut off rather than buffered for), credentials, Debian's curl -N, and the end
 * of the stream when the router stops.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import type { KvndbClient } from '@kvndb/client';
import { client, sleep, startReplica, startRouterWithHttp, stopAll, waitInSync, waitUntil, type RouterHandle } from './helpers/cluster';

jest.setTimeout(120000);

const PASSWORD = 'sse-s3cret';
const AUTH = { authorization: `Bearer ${PASSWORD}` };

interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}
interface Change {
  type: string;
  key: string;
  value: string | null;
  encoding?: string;
}
interface ChangeData {
  epoch: number;
  seq: number;
  changes: Change[];
}

let router: RouterHandle & { httpPort: number; url: string };
let base: string;
let db: KvndbClient;

beforeAll(async () => {
  router = await startRouterWithHttp(['--backlog-size', '64k'], { KVNDB_PASSWORD: PASSWORD });
  base = router.url.replace(/\/$/, '');
  startReplica('memory', router.port, { name: 'm1', env: { KVNDB_PASSWORD: PASSWORD } });
  db = await client(router.port, { password: PASSWORD });
  await waitInSync(db, 1);
});

afterAll(async () => {
  await db?.close().catch(() => undefined);
  await stopAll();
});

/** Parse text/event-stream (id, event, data, comments) as it arrives. */
class SseParser {
  readonly events: SseEvent[] = [];
  comments = 0;
  private buf = '';
  private cur: SseEvent = { id: null, event: 'message', data: '' };

  push(text: string): void {
    this.buf += text;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (line === '') {
        this.events.push(this.cur);
        this.cur = { id: null, event: 'message', data: '' };
      } else if (line.startsWith(':')) {
        this.comments++;
      } else {
        const colon = line.indexOf(':');
        const field = line.slice(0, colon);
        const v = line.slice(colon + 2);
        if (field === 'id') this.cur.id = v;
        else if (field === 'event') this.cur.event = v;
        else if (field === 'data') this.cur.data += v;
      }
    }
  }

  get changes(): ChangeData[] {
    return this.events.filter((e) => e.event === 'change').map((e) => JSON.parse(e.data) as ChangeData);
  }
}

/** An open watch read with fetch: its events as they come, and whether the stream ended. */
async function openWatch(query: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const res = await fetch(`${base}/v1/watch?${query}`, { headers: { ...AUTH, ...headers }, signal: abort.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const sse = new SseParser();
  const state = { sse, ended: false, close: () => abort.abort() };
  void (async () => {
    try {
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) sse.push(decoder.decode(chunk, { stream: true }));
    } catch {
      // aborted
    }
    state.ended = true;
  })();
  await waitUntil('the open event', () => sse.events.some((e) => e.event === 'open'));
  return state;
}

const keysOf = (changes: ChangeData[]): string[] => changes.flatMap((c) => c.changes.map((x) => x.key));

test('a prefix watch gets one change event per write, in seq order, id = seq, only its keys', async () => {
  const w = await openWatch('prefix=p%3A');
  const open = w.sse.events[0];
  expect(open.event).toBe('open');
  const writes = [];
  for (let i = 0; i < 40; i++) {
    writes.push(db.set(`p:${i}`, `v${i}`));
    writes.push(db.set(`q:${i}`, 'other'));
  }
  await Promise.all(writes);
  await db.set('p:bin', Buffer.from([0xff, 0x00, 0xfe]));
  await waitUntil('41 events', () => w.sse.changes.length >= 41);
  w.close();
  const changes = w.sse.changes;
  expect(changes).toHaveLength(41);
  const seqs = changes.map((c) => c.seq);
  expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  expect(new Set(seqs).size).toBe(seqs.length);
  expect(seqs[0]).toBeGreaterThan(Number(open.id));
  const ids = w.sse.events.filter((e) => e.event === 'change').map((e) => Number(e.id));
  expect(ids).toEqual(seqs);
  expect(keysOf(changes).sort()).toEqual([...Array.from({ length: 40 }, (_, i) => `p:${i}`), 'p:bin'].sort());
  const text = changes.find((c) => c.changes[0].key === 'p:7')!.changes[0];
  expect(text).toEqual({ type: 'set', key: 'p:7', value: 'v7', encoding: 'utf8' });
  // Bytes that are not UTF-8 come as base64 rather than mangled.
  expect(changes[40].changes[0]).toEqual({ type: 'set', key: 'p:bin', value: Buffer.from([0xff, 0x00, 0xfe]).toString('base64'), encoding: 'base64' });
  expect(changes.every((c) => typeof c.epoch === 'number' && c.epoch > 0)).toBe(true);
});

test('keys= and encoding=base64; a del has value null', async () => {
  const w = await openWatch('keys=k1,k3&encoding=base64');
  await db.set('k1', 'one');
  await db.set('k2', 'two');
  await db.del('k1');
  await db.set('k3', 'three');
  await waitUntil('3 events', () => w.sse.changes.length >= 3);
  w.close();
  expect(w.sse.changes.map((c) => c.changes)).toEqual([
    [{ type: 'set', key: 'k1', value: Buffer.from('one').toString('base64'), encoding: 'base64' }],
    [{ type: 'del', key: 'k1', value: null }],
    [{ type: 'set', key: 'k3', value: Buffer.from('three').toString('base64'), encoding: 'base64' }],
  ]);
});

test('resuming with Last-Event-ID misses and repeats nothing (and wins over from=)', async () => {
  const w = await openWatch('prefix=r%3A');
  const from = w.sse.events[0].id!;
  for (let i = 0; i < 20; i++) await db.set(`r:${i}`, String(i));
  await waitUntil('20 events', () => w.sse.changes.length >= 20);
  w.close();
  const first = w.sse.changes.slice(0, 10);
  const lastId = String(first[9].seq);
  for (let i = 20; i < 30; i++) await db.set(`r:${i}`, String(i));
  // from= names the start of the first stream: were it used, r:0..r:9 would come again.
  const again = await openWatch(`prefix=r%3A&from=${from}`, { 'last-event-id': lastId });
  expect(again.sse.events[0].id).toBe(lastId);
  await waitUntil('20 more events', () => again.sse.changes.length >= 20);
  await sleep(200);
  again.close();
  const all = [...keysOf(first), ...keysOf(again.sse.changes)];
  expect(all).toEqual(Array.from({ length: 30 }, (_, i) => `r:${i}`));
});

test('from= behind the history is a 410 COMPACTED with the oldest seq; bad input is a 400', async () => {
  for (let i = 0; i < 200; i++) await db.set(`c:${i % 10}`, 'x'.repeat(1000));
  const res = await fetch(`${base}/v1/watch?prefix=c%3A&from=1`, { headers: AUTH });
  expect(res.status).toBe(410);
  const body = (await res.json()) as { error: string; message: string; oldestSeq: number };
  expect(body.error).toBe('COMPACTED');
  expect(body.message).toMatch(/older than the router's history/);
  expect(body.oldestSeq).toBeGreaterThan(100);
  // From the oldest seq held, it works.
  const w = await openWatch(`prefix=c%3A&from=${body.oldestSeq - 1}`);
  await waitUntil('the first replayed event', () => w.sse.changes.length > 0);
  w.close();
  expect(w.sse.changes[0].seq).toBe(body.oldestSeq);

  for (const q of ['from=abc', 'prefix=a&keys=b', 'keys=', 'encoding=hex']) {
    const bad = await fetch(`${base}/v1/watch?${q}`, { headers: AUTH });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('BAD_REQUEST');
  }
});

test('a client that stops reading is paused, not buffered for: it gets what fit, then COMPACTED', async () => {
  const socket = net.connect(router.httpPort, '127.0.0.1');
  let data = '';
  socket.on('data', (d) => (data += d.toString('utf8')));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(`GET /v1/watch?prefix=big%3A HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${PASSWORD}\r\n\r\n`);
  await waitUntil('the open event', () => data.includes('event: open'));
  socket.pause();
  const value = Buffer.alloc(256 * 1024, 'z');
  const n = 120;
  for (let i = 0; i < n; i++) await db.set(`big:${i % 10}`, value);
  socket.resume();
  await waitUntil('the error event', () => data.includes('event: error'), 30000);
  await waitUntil('the whole error event', () => /event: error\ndata: .*\n/.test(data));
  // Each event is one chunk of the chunked body, so its lines are whole in the raw bytes.
  const err = JSON.parse(/event: error\ndata: (.*)\n/.exec(data)![1]) as { error: string; message: string; oldestSeq: number };
  expect(err.error).toBe('COMPACTED');
  expect(err.message).toMatch(/fell behind/);
  expect(err.oldestSeq).toBeGreaterThan(0);
  const delivered = (data.match(/event: change/g) ?? []).length;
  expect(delivered).toBeGreaterThan(0);
  expect(delivered).toBeLessThan(n);
  socket.destroy();
});

test('no credential or a wrong password: 401', async () => {
  const none = await fetch(`${base}/v1/watch?prefix=`);
  expect(none.status).toBe(401);
  const wrong = await fetch(`${base}/v1/watch?prefix=`, { headers: { authorization: 'Bearer nope' } });
  expect(wrong.status).toBe(401);
  expect(((await wrong.json()) as { error: string }).error).toBe('AUTH_FAILED');
});

test('curl -N reads the stream as writes happen', async () => {
  const curl = spawn('curl', ['-sS', '-N', '-u', `:${PASSWORD}`, `${base}/v1/watch?prefix=curl%3A`]);
  let out = '';
  curl.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  try {
    await waitUntil('curl sees the open event', () => out.includes('event: open'));
    await db.set('curl:a', 'hello');
    await waitUntil('curl sees the change', () => out.includes('"key":"curl:a"'));
    expect(out).toMatch(/id: \d+\nevent: change\ndata: \{"epoch":\d+,"seq":\d+,"changes":\[\{"type":"set","key":"curl:a","value":"hello","encoding":"utf8"\}\]\}\n\n/);
  } finally {
    curl.kill();
  }
});

test('the router stopping ends the stream with SHUTTING_DOWN and the seq to resume from', async () => {
  const w = await openWatch('prefix=s%3A');
  await db.set('s:1', 'x');
  await waitUntil('the event', () => w.sse.changes.length === 1);
  await db.close();
  await router.proc.stop();
  await waitUntil('the stream ended', () => w.ended);
  const end = w.sse.events.find((e) => e.event === 'error')!;
  const err = JSON.parse(end.data) as { error: string; seq: number };
  expect(err.error).toBe('SHUTTING_DOWN');
  expect(err.seq).toBeGreaterThanOrEqual(w.sse.changes[0].seq);
});
