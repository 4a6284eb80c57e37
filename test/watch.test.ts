/**
 * Watches and blocking reads against real processes (issue 15): a watcher sees every
 * acknowledged change exactly once, in seq order, through a replica SIGKILL, a graceful
 * router restart and a lost client socket; COMPACTED beyond the router's history; a watcher
 * that never reads is cut off while the router's memory stays bounded; blocking gets answer
 * on a set, give null at the deadline and are bounded.
 */
import fs from 'node:fs';
import { ErrorCode, KvndbError, type ChangeEvent, type KvndbClient } from '@kvndb/client';
import { FramedConnection, Op, encodeFrame, peerHandshake, socketTransport } from '@kvndb/shared';
import {
  closeClients,
  openClient,
  sleep,
  sqliteCluster,
  stablePort,
  startReplica,
  startRouter,
  stopAll,
  tempDir,
  waitConverged,
  waitInSync,
  waitUntil,
  type RouterHandle,
} from './helpers/cluster';

jest.setTimeout(120000);

afterEach(async () => {
  await closeClients();
  await stopAll();
});

/** Writes `prefix` keys with unique values through put() (its answer is the write's seq) until stopped. */
class VersionedWriter {
  /** Acknowledged writes by seq: [key, value]. */
  readonly acked = new Map<number, [string, string]>();
  errors = 0;
  private stopped = false;
  private done: Promise<void> = Promise.resolve();

  constructor(private readonly db: KvndbClient, private readonly prefix: string, private readonly concurrency = 4) {}

  start(): this {
    let n = 0;
    const loop = async () => {
      while (!this.stopped) {
        const i = n++;
        const key = `${this.prefix}${i % 200}`;
        const value = `v${i}`;
        try {
          const { version } = await this.db.put(key, value);
          this.acked.set(version, [key, value]);
          // Writes outside the watched prefix, which the watcher must not see.
          if (i % 5 === 0) await this.db.set(`other:${i % 50}`, value);
        } catch {
          this.errors++;
          await sleep(20);
        }
      }
    };
    this.done = Promise.all(Array.from({ length: this.concurrency }, loop)).then(() => undefined);
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

/** Collects a watch's events until stopped (once it started); the error it failed with, if any. */
async function collect(db: KvndbClient, prefix: string): Promise<{ events: ChangeEvent[]; failed: () => unknown; stop: () => void }> {
  const events: ChangeEvent[] = [];
  const watch = db.watch(prefix);
  await watch.started;
  let failure: unknown;
  void (async () => {
    try {
      for await (const e of watch) events.push(e);
    } catch (err) {
      failure = err;
    }
  })();
  return { events, failed: () => failure, stop: () => watch.close() };
}

/** Every acknowledged write appears once, in seq order, nothing outside the prefix, no seq twice. */
function expectExactlyOnce(events: ChangeEvent[], acked: Map<number, [string, string]>, prefix: string): void {
  const seqs = events.map((e) => e.seq);
  for (let i = 1; i < seqs.length; i++) if (seqs[i] <= seqs[i - 1]) throw new Error(`seq ${seqs[i]} after ${seqs[i - 1]} (event ${i})`);
  expect(events.every((e) => e.key.startsWith(prefix) && e.type === 'set' && e.version === e.seq)).toBe(true);
  const bySeq = new Map(events.map((e) => [e.seq, e]));
  const missing: string[] = [];
  for (const [seq, [key, value]] of acked) {
    const e = bySeq.get(seq);
    if (!e || e.key !== key || e.value?.toString() !== value) missing.push(`${seq} ${key}=${value}`);
  }
  expect(missing.slice(0, 10)).toEqual([]);
}

test('a watcher sees every acknowledged change exactly once, in seq order, through a replica SIGKILL and a graceful router restart', async () => {
  const dir = tempDir();
  const port = await stablePort();
  const args = ['--heartbeat', '200', '--join-window', '3000'];
  const router = await startRouter(args, port);
  const names = ['r0', 'r1'];
  const { procs, files } = sqliteCluster(dir, names, port);
  const db = await openClient(port, { requestTimeoutMs: 5000 });
  const watcherDb = await openClient(port);
  await waitConverged(db, names);
  const watch = await collect(watcherDb, 'w:');
  const writer = new VersionedWriter(db, 'w:').start();
  await sleep(500);
  await procs[1].kill('SIGKILL');
  await sleep(500);
  procs[1] = startReplica('sqlite', port, { name: 'r1', file: files[1] });
  await waitConverged(db, names);
  await sleep(300);
  // A graceful restart: the router answers the writes in flight and tells each watch where it was.
  await router.proc.stop();
  const again = await startRouter(args, port);
  await waitConverged(db, names);
  await sleep(500);
  await writer.stop();
  const newest = Math.max(...writer.acked.keys());
  await waitUntil('the watcher has the newest acknowledged write', () => watch.events.some((e) => e.seq >= newest));
  expect(watch.failed()).toBeUndefined();
  expect(writer.acked.size).toBeGreaterThan(200);
  // Writes were acknowledged by both routers.
  expect(Math.min(...writer.acked.keys())).toBeLessThan(Number(again.proc.output.match(/epoch \d+ starts after seq (\d+)/)![1]));
  expect(newest).toBeGreaterThan(Number(again.proc.output.match(/epoch \d+ starts after seq (\d+)/)![1]));
  expectExactlyOnce(watch.events, writer.acked, 'w:');
  watch.stop();
});

test('the same through a lost client socket: the watch resumes from the last seq it received', async () => {
  const router = await startRouter();
  startReplica('memory', router.port, { name: 'm1' });
  const db = await openClient(router.port);
  const watcherDb = await openClient(router.port);
  await waitInSync(db, 1);
  const watch = await collect(watcherDb, 'w:');
  const writer = new VersionedWriter(db, 'w:').start();
  for (let i = 0; i < 3; i++) {
    await sleep(300);
    // The socket dies under the client (as on a network fault); it reconnects by itself.
    (watcherDb as unknown as { conn: FramedConnection }).conn.stream.destroy();
  }
  await sleep(300);
  await writer.stop();
  const newest = Math.max(...writer.acked.keys());
  await waitUntil('the watcher has the newest acknowledged write', () => watch.events.some((e) => e.seq >= newest));
  expect(watch.failed()).toBeUndefined();
  expectExactlyOnce(watch.events, writer.acked, 'w:');
  watch.stop();
});

test('a narrow watch resumes after a reconnect even when the history rolled past its last change (progress marks)', async () => {
  const router = await startRouter(['--backlog-size', '64k']);
  startReplica('memory', router.port, { name: 'm1' });
  const db = await openClient(router.port);
  const watcherDb = await openClient(router.port);
  await waitInSync(db, 1);
  const watch = await collect(watcherDb, 'rare:');
  await db.set('rare:1', 'a');
  for (let i = 0; i < 300; i++) await db.set(`busy:${i}`, 'x'.repeat(1000));
  // The router's once-a-second tick tells the watch how far it got.
  await sleep(1500);
  (watcherDb as unknown as { conn: FramedConnection }).conn.stream.destroy();
  await sleep(300);
  await db.set('rare:2', 'b');
  await waitUntil('the watcher has rare:2', () => watch.events.some((e) => e.key === 'rare:2'));
  expect(watch.failed()).toBeUndefined();
  expect(watch.events.map((e) => `${e.key}=${e.value}`)).toEqual(['rare:1=a', 'rare:2=b']);
  watch.stop();
});

test('a watch from a seq the history no longer holds fails with COMPACTED and the oldest seq held; from there it works', async () => {
  const router = await startRouter(['--backlog-size', '64k']);
  startReplica('memory', router.port, { name: 'm1' });
  const db = await openClient(router.port);
  await waitInSync(db, 1);
  for (let i = 0; i < 300; i++) await db.set(`c:${i}`, 'x'.repeat(1000));
  const err = await (async () => {
    try {
      for await (const e of db.watch('c:', { fromSeq: 1 })) void e;
    } catch (e) {
      return e as KvndbError;
    }
  })();
  expect(err).toBeInstanceOf(KvndbError);
  expect(err!.code).toBe(ErrorCode.COMPACTED);
  expect(err!.message).toMatch(/older than the router's history/);
  const oldest = err!.details!.oldestSeq as number;
  expect(oldest).toBeGreaterThan(100);
  const watch = db.watch('c:', { fromSeq: oldest - 1 });
  expect(await watch.started).toBe(oldest - 1);
  const first = await watch.next();
  expect(first.value).toMatchObject({ seq: oldest, type: 'set' });
  watch.close();
});

/** The router's resident memory, from /proc. */
function rssBytes(pid: number): number {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return Number(m![1]) * 1024;
}

test('a watcher that never reads is cut off with a clear error, and the router RSS stays bounded while 200 MB are written', async () => {
  const router = await startRouter(['--backlog-size', '16m']);
  startReplica('memory', router.port, { name: 'm1' });
  const db = await openClient(router.port);
  await waitInSync(db, 1);
  // A raw connection that watches everything and then stops reading its socket.
  const link = await socketTransport({ host: '127.0.0.1', port: router.port, type: 'tcp' }).dial(5000);
  const conn = new FramedConnection(link.stream, { address: link.address });
  await peerHandshake(conn, { role: 'client', secret: '', info: {} });
  const received: unknown[][] = [];
  conn.onMessage = (m: unknown) => received.push(m as unknown[]);
  conn.sendFrame(encodeFrame([Op.WATCH, 9, '', null]));
  await waitUntil('the watch started', () => received.some((m) => m[0] === Op.RESULT && m[1] === 9));
  conn.stream.pause();
  const before = rssBytes(router.proc.child.pid!);
  let peak = before;
  const value = Buffer.alloc(256 * 1024, 7);
  for (let i = 0; i < 800; i++) {
    await db.set(`big:${i % 20}`, value);
    if (i % 20 === 0) peak = Math.max(peak, rssBytes(router.proc.child.pid!));
  }
  peak = Math.max(peak, rssBytes(router.proc.child.pid!));
  expect(peak - before).toBeLessThan(100 * 1024 * 1024);
  // Reading again, it finds the events it had room for, then the end of its watch.
  conn.stream.resume();
  await waitUntil('the watch ended', () => received.some((m) => m[0] === Op.ERROR && m[1] === 9), 30000);
  const end = received.find((m) => m[0] === Op.ERROR && m[1] === 9)!;
  expect(end[2]).toBe(ErrorCode.COMPACTED);
  expect(end[3]).toMatch(/fell behind/);
  const events = received.filter((m) => m[0] === Op.EVENT);
  expect(events.length).toBeGreaterThan(0);
  expect(events.length).toBeLessThan(800);
  // The connection itself stays usable.
  conn.sendFrame(encodeFrame([Op.PING, 10]));
  await waitUntil('PONG', () => received.some((m) => m[0] === Op.RESULT && m[1] === 10));
  conn.close();
});

describe('blocking get', () => {
  test('answers as soon as the key is set, null at the deadline; wait answers with the first key that exists', async () => {
    const router = await startRouter();
    startReplica('memory', router.port, { name: 'm1' });
    const db = await openClient(router.port);
    const other = await openClient(router.port);
    await waitInSync(db, 1);
    const started = Date.now();
    const pending = db.get('job:1', { waitMs: 10000 });
    await sleep(300);
    await other.set('job:1', 'done');
    expect(await pending).toBe('done');
    expect(Date.now() - started).toBeLessThan(5000);
    // Present already: at once.
    expect(await db.get('job:1', { waitMs: 10000 })).toBe('done');
    const t0 = Date.now();
    expect(await db.get('job:none', { waitMs: 400 })).toBeNull();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(380);
    // Longer than the request timeout: the client waits for the router's answer.
    const slow = await openClient(router.port, { requestTimeoutMs: 200 });
    expect(await slow.get('job:none', { waitMs: 600 })).toBeNull();
    // Created by an increment and an append (no value in the write: read again).
    const counted = db.getBuffer('job:n', { waitMs: 10000 });
    const appended = db.wait(['job:x', 'job:a'], { waitMs: 10000 });
    await sleep(100);
    await other.incr('job:n', 3);
    await other.append('job:a', 'tail');
    expect((await counted)?.toString()).toBe('3');
    expect(await appended).toEqual({ key: 'job:a', value: 'tail' });
    expect(await db.wait(['job:x', 'job:n', 'job:a'], { waitMs: 0 })).toEqual({ key: 'job:n', value: '3' });
    expect(await db.wait(['job:x'], { waitMs: 0 })).toBeNull();
  });

  test('bounded per router with a clear error; a closed connection releases its blocked reads', async () => {
    const router = await startRouter(['--max-blocked-reads', '2']);
    startReplica('memory', router.port, { name: 'm1' });
    const a = await openClient(router.port);
    const b = await openClient(router.port);
    await waitInSync(a, 1);
    const held = [a.get('x1', { waitMs: 60000 }).catch((e) => e), a.get('x2', { waitMs: 60000 }).catch((e) => e)];
    await sleep(200);
    await expect(b.get('x3', { waitMs: 1000 })).rejects.toMatchObject({ code: ErrorCode.TOO_MANY_REQUESTS, message: expect.stringMatching(/--max-blocked-reads 2/) });
    await a.close();
    expect((await Promise.all(held)).map((e: KvndbError) => e.code)).toEqual([ErrorCode.CONNECTION_CLOSED, ErrorCode.CONNECTION_CLOSED]);
    await waitUntil('the blocked reads are released', async () => (await b.get('x3', { waitMs: 10 })) === null);
    const p = b.get('x3', { waitMs: 10000 });
    await sleep(100);
    await b.set('x3', 'ok');
    expect(await p).toBe('ok');
  });
});

