/**
 * End to end: a real Router on 127.0.0.1 port 0, with fake replicas and fake clients built
 * from shared's FramedConnection + peerHandshake. A fake replica is a small Map that
 * applies WRITEs in order (checking seq continuity), answers reads, and can act as a
 * snapshot source or joiner.
 */
import {
  FRAME_HEADER_BYTES,
  FramedConnection,
  KvndbError,
  Op,
  PROTOCOL_VERSION,
  compareKeys,
  createLogger,
  dial,
  peerHandshake,
  type RouterStatus,
  type WelcomeInfo,
} from '@kvndb/shared';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Router, type RouterOptions } from './index';

const routers: Router[] = [];
const conns: FramedConnection[] = [];

afterEach(async () => {
  for (const c of conns.splice(0)) c.close();
  await Promise.all(routers.splice(0).map((r) => r.stop()));
});

async function startRouter(options: RouterOptions = {}): Promise<Router> {
  const debug = process.env.KVNDB_TEST_DEBUG ? { logger: createLogger({ name: 'router', verbose: true }) } : {};
  const r = new Router({ port: 0, joinWindowMs: 0, writeTimeoutMs: 3000, ...debug, ...options });
  routers.push(r);
  await r.start();
  return r;
}

async function rawConnect(router: Router): Promise<FramedConnection> {
  const socket = await dial({ host: '127.0.0.1', port: router.address.port });
  const conn = new FramedConnection(socket);
  conns.push(conn);
  return conn;
}

function nextMessage(conn: FramedConnection): Promise<unknown[]> {
  return new Promise((resolve) => {
    conn.onMessage = (m) => resolve(m as unknown[]);
  });
}

function closed(conn: FramedConnection): Promise<void> {
  return conn.isClosed ? Promise.resolve() : new Promise((resolve) => conn.once('close', () => resolve()));
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A logger that keeps the messages of the given levels in `into` (the others are dropped). */
function collecting(into: string[], ...levels: Array<'info' | 'warn' | 'error'>): RouterOptions['logger'] {
  const keep = (level: string) => (levels.includes(level as 'info') ? (m: string) => void into.push(m) : () => {});
  return { info: keep('info'), warn: keep('warn'), error: keep('error'), debug: () => {} } as never;
}
const b = (s: string) => Buffer.from(s);

class FakeClient {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: KvndbError) => void }>();
  welcome!: WelcomeInfo;

  constructor(readonly conn: FramedConnection) {}

  static async open(router: Router, secret?: string): Promise<FakeClient> {
    const conn = await rawConnect(router);
    const c = new FakeClient(conn);
    c.welcome = await peerHandshake(conn, { role: 'client', secret, info: { name: 'test' } });
    conn.onMessage = (m) => c.onMessage(m as unknown[]);
    conn.on('close', () => {
      for (const p of c.pending.values()) p.reject(KvndbError.connectionClosed());
      c.pending.clear();
    });
    return c;
  }

  request(op: number, ...args: unknown[]): Promise<unknown> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.conn.send([op, id, ...args]);
    });
  }

  private onMessage(m: unknown[]): void {
    const p = this.pending.get(m[1] as number);
    if (!p) return;
    this.pending.delete(m[1] as number);
    if (m[0] === Op.RESULT) p.resolve(m[2]);
    else p.reject(KvndbError.fromWire(m[2], m[3], m[4]));
  }
}

interface FakeReplicaOptions {
  epoch?: number;
  seq?: number;
  reset?: boolean;
  data?: Record<string, string>;
  secret?: string;
}

class FakeReplica {
  readonly data = new Map<string, Buffer>();
  epoch: number;
  seq: number;
  readonly syncStarts: unknown[][] = [];
  readonly aborts: unknown[][] = [];
  syncDone: unknown[] | undefined;
  violations: string[] = [];
  readsServed = 0;
  writesApplied = 0;
  chunksReceived = 0;
  /** Keep WRITE_ACKs (and SNAPSHOT_ACKs) back until release(). */
  holdAcks = false;
  holdSnapshotAcks = false;
  /** Never answer reads. */
  swallowReads = false;
  private held: unknown[][] = [];
  private heldSnapshotAcks: unknown[][] = [];
  private syncTarget: { epoch: number; seq: number } | undefined;
  private snapshotLoaded = 0;
  conn!: FramedConnection;

  constructor(
    readonly name: string,
    readonly options: FakeReplicaOptions = {},
  ) {
    this.epoch = options.epoch ?? 0;
    this.seq = options.seq ?? 0;
    for (const [k, v] of Object.entries(options.data ?? {})) this.data.set(k, b(v));
  }

  async join(router: Router, reset = this.options.reset ?? false): Promise<WelcomeInfo> {
    this.conn = await rawConnect(router);
    const welcome = await peerHandshake(this.conn, {
      role: 'replica',
      secret: this.options.secret,
      info: { name: this.name, epoch: this.epoch, seq: this.seq, reset },
    });
    // Frames that followed WELCOME (SYNC_START comes at once) were held for this handler.
    this.conn.onMessage = (m) => this.onMessage(m as unknown[]);
    return welcome;
  }

  leave(): Promise<void> {
    this.conn.close();
    return closed(this.conn);
  }

  /** Send the held WRITE_ACKs (consecutive writes) as one WRITE_ACKS, as a real replica does for a group. */
  releaseAsOne(): void {
    this.holdAcks = false;
    const acks = this.held.splice(0);
    this.conn.send([Op.WRITE_ACKS, acks[0][1], acks.map((ack) => ack[2])]);
  }

  release(): void {
    this.holdAcks = false;
    this.holdSnapshotAcks = false;
    for (const m of this.held.splice(0)) this.conn.send(m);
    for (const m of this.heldSnapshotAcks.splice(0)) this.conn.send(m);
  }

  get(key: string): string | undefined {
    return this.data.get(key)?.toString();
  }

  private onMessage(m: unknown[]): void {
    switch (m[0]) {
      case Op.WRITE: {
        const [, epoch, seq, ops] = m as [number, number, number, unknown[][]];
        if (seq !== this.seq + 1) this.violations.push(`write ${seq} after ${this.seq}`);
        this.epoch = epoch;
        this.seq = seq;
        this.writesApplied++;
        const results = ops.map((op) => {
          if (op[0] === 'd') return this.data.delete(op[1] as string);
          const flags = (op[3] ?? {}) as { nx?: boolean; xx?: boolean; get?: boolean };
          const had = this.data.has(op[1] as string);
          const prev = this.data.get(op[1] as string) ?? null;
          const apply = !(flags.nx && had) && !(flags.xx && !had);
          if (apply) this.data.set(op[1] as string, Buffer.from(op[2] as Uint8Array));
          return flags.get ? [apply, prev] : apply;
        });
        const ack = [Op.WRITE_ACK, seq, results];
        if (this.holdAcks) this.held.push(ack);
        else this.conn.send(ack);
        return;
      }
      case Op.GET:
      case Op.HAS:
      case Op.MGET:
      case Op.KEYS: {
        if (this.swallowReads) return;
        this.readsServed++;
        this.conn.send([Op.RESULT, m[1], this.read(m)]);
        return;
      }
      case Op.SYNC_START: {
        this.syncStarts.push(m);
        this.syncDone = undefined;
        const [, mode, epoch, seq] = m as [number, string, number, number];
        if (mode === 'full') {
          this.data.clear();
          this.epoch = 0;
          this.seq = 0;
          this.snapshotLoaded = 0;
          this.syncTarget = { epoch, seq };
        } else if (seq !== this.seq) {
          this.violations.push(`incremental from ${seq} but at ${this.seq}`);
        }
        return;
      }
      case Op.SNAPSHOT_CHUNK: {
        this.chunksReceived++;
        for (const [k, v] of m[2] as Array<[string, Uint8Array]>) this.data.set(k, Buffer.from(v));
        this.snapshotLoaded += (m[2] as unknown[]).length;
        const ack = [Op.SNAPSHOT_ACK, m[1], 1];
        if (this.holdSnapshotAcks) this.heldSnapshotAcks.push(ack);
        else this.conn.send(ack);
        return;
      }
      case Op.SNAPSHOT_END: {
        if (m[2] !== this.snapshotLoaded) this.violations.push(`snapshot of ${String(m[2])} keys, loaded ${this.snapshotLoaded}`);
        if (this.syncTarget) {
          this.epoch = this.syncTarget.epoch;
          this.seq = this.syncTarget.seq;
        }
        return;
      }
      case Op.SYNC_DONE:
        this.syncDone = m;
        return;
      case Op.PING: // heartbeat
        this.conn.send([Op.RESULT, m[1], 'PONG']);
        return;
      case Op.SNAPSHOT_REQUEST:
        this.streamSnapshot(m as [number, number, number, number, number]);
        return;
      case Op.SNAPSHOT_ABORT:
        this.aborts.push(m);
        return;
      case Op.SNAPSHOT_CREDIT: {
        const s = this.source;
        if (s && s.id === m[1]) {
          this.creditsReceived += m[2] as number;
          s.credits += m[2] as number;
          this.pump();
        }
        return;
      }
      default:
        this.violations.push(`unexpected opcode ${String(m[0])}`);
    }
  }

  /** The credit window of every SNAPSHOT_REQUEST this replica got as a source. */
  readonly snapshotWindows: number[] = [];
  /** Credits granted by SNAPSHOT_CREDIT after the initial window. */
  creditsReceived = 0;
  private source: { id: number; entries: Array<[string, Buffer]>; next: number; credits: number } | undefined;

  /** As a source: snapshot exactly at (epoch, seq), one entry per chunk, within the credit window. */
  private streamSnapshot([, id, , seq, window]: [number, number, number, number, number]): void {
    if (seq !== this.seq) this.violations.push(`snapshot asked at ${seq}, source is at ${this.seq}`);
    const entries = [...this.data.entries()].sort((x, y) => compareKeys(x[0], y[0])).map(([k, v]) => [k, Buffer.from(v)] as [string, Buffer]);
    this.snapshotWindows.push(window);
    this.source = { id, entries, next: 0, credits: window };
    this.pump();
  }

  private pump(): void {
    const s = this.source;
    if (!s) return;
    while (s.credits > 0 && s.next < s.entries.length) {
      s.credits--;
      this.conn.send([Op.SNAPSHOT_CHUNK, s.id, [s.entries[s.next++]]]);
    }
    if (s.next >= s.entries.length) {
      this.conn.send([Op.SNAPSHOT_END, s.id, s.entries.length]);
      this.source = undefined;
    }
  }

  private read(m: unknown[]): unknown {
    switch (m[0]) {
      case Op.GET:
        return this.data.get(m[2] as string) ?? null;
      case Op.HAS:
        return this.data.has(m[2] as string);
      case Op.MGET:
        return (m[2] as string[]).map((k) => this.data.get(k) ?? null);
      default: {
        const [, , prefix, limit, cursor] = m as [number, number, string, number, string | null];
        const keys = [...this.data.keys()]
          .filter((k) => k.startsWith(prefix) && (cursor === null || compareKeys(k, cursor) > 0))
          .sort(compareKeys);
        const page = keys.slice(0, limit);
        return [page, keys.length > limit ? page[page.length - 1] : null];
      }
    }
  }
}

function replicaStatus(router: Router, name: string) {
  return router.status().replicas.find((r) => r.name === name);
}

function inSync(router: Router, ...names: string[]): boolean {
  const s = router.status();
  return names.every((n) => s.replicas.some((r) => r.name === n && r.state === 'in-sync'));
}

/** Replica 'a' holding `options`' data joins an empty router and is adopted as the source. */
async function adoptedSource(router: Router, options: FakeReplicaOptions): Promise<FakeReplica> {
  const a = new FakeReplica('a', options);
  await a.join(router);
  await waitFor('a adopted', () => inSync(router, 'a'));
  return a;
}

/** Replicas 'a' and 'b' join an empty router and are both in sync. */
async function twoInSync(router: Router): Promise<{ a: FakeReplica; bb: FakeReplica }> {
  const a = new FakeReplica('a');
  const bb = new FakeReplica('b');
  await a.join(router);
  await bb.join(router);
  await waitFor('both in sync', () => inSync(router, 'a', 'b'));
  return { a, bb };
}

/** A joiner that receives snapshot chunks but acknowledges none until release(). */
async function heldJoiner(router: Router, name: string, options: FakeReplicaOptions): Promise<FakeReplica> {
  const joiner = new FakeReplica(name, options);
  joiner.holdSnapshotAcks = true;
  await joiner.join(router);
  return joiner;
}

async function expectError(p: Promise<unknown>, code: string): Promise<KvndbError> {
  const err = await p.then(
    () => {
      throw new Error(`expected ${code}, got a result`);
    },
    (e: KvndbError) => e,
  );
  expect(err).toBeInstanceOf(KvndbError);
  expect(err.code).toBe(code);
  return err;
}

// ---------------------------------------------------------------------------------------

describe('handshake', () => {
  test('WELCOME with the router position and limits; the listening address is reported', async () => {
    const logs: string[] = [];
    const router = await startRouter({ password: 'pw', logger: collecting(logs, 'info') });
    expect(logs).toContain(`listening on 127.0.0.1:${router.address.port}`);
    const c = await FakeClient.open(router, 'pw');
    expect(c.welcome).toMatchObject({ epoch: 0, seq: 0, maxKeyBytes: 64 * 1024, maxValueBytes: 64 * 1024 * 1024 });
    expect(typeof c.welcome.version).toBe('string');
    expect(await c.request(Op.PING)).toBe('PONG');
  });

  test('wrong password: AUTH_FAILED after a delay, connection closed', async () => {
    const router = await startRouter({ password: 'right' });
    const conn = await rawConnect(router);
    const t0 = Date.now();
    const err = await expectError(peerHandshake(conn, { role: 'client', secret: 'wrong', info: {} }), 'AUTH_FAILED');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    expect(err.remote).toBe(true);
    await closed(conn);
    // No password at all is refused the same way.
    await expectError(peerHandshake(await rawConnect(router), { role: 'client', info: {} }), 'AUTH_FAILED');
  });

  test('a client credential cannot register as a replica when the replica password differs', async () => {
    const router = await startRouter({ password: 'client-pw', replicaPassword: 'replica-pw' });
    await expectError(
      peerHandshake(await rawConnect(router), { role: 'replica', secret: 'client-pw', info: { name: 'evil', epoch: 0, seq: 0, reset: false } }),
      'AUTH_FAILED',
    );
    await expectError(peerHandshake(await rawConnect(router), { role: 'client', secret: 'replica-pw', info: {} }), 'AUTH_FAILED');
    const r = new FakeReplica('good', { secret: 'replica-pw' });
    await r.join(router);
    await waitFor('the replica is in sync', () => inSync(router, 'good'));
    const c = await FakeClient.open(router, 'client-pw');
    expect(await c.request(Op.SET, 'k', b('v'), null)).toBe(true);
  });

  test('version mismatch is refused naming both versions', async () => {
    const router = await startRouter();
    const conn = await rawConnect(router);
    const answer = nextMessage(conn);
    conn.send([Op.HELLO, PROTOCOL_VERSION + 1, 'client', {}]);
    const m = await answer;
    expect(m[0]).toBe(Op.ERROR);
    expect(m[2]).toBe('VERSION_MISMATCH');
    expect(m[3]).toMatch(new RegExp(`version ${PROTOCOL_VERSION}\\b`));
    expect(m[3]).toMatch(new RegExp(`version ${PROTOCOL_VERSION + 1}\\b`));
    await closed(conn);
  });

  test('a request before WELCOME is a protocol error', async () => {
    const router = await startRouter();
    const conn = await rawConnect(router);
    const answer = nextMessage(conn);
    conn.send([Op.PING, 1]);
    const m = await answer;
    expect(m.slice(0, 3)).toEqual([Op.ERROR, 0, 'PROTOCOL_ERROR']);
    await closed(conn);
  });

  test('a handshake that never finishes times out', async () => {
    const router = await startRouter({ handshakeTimeoutMs: 100 });
    const conn = await rawConnect(router);
    const answer = nextMessage(conn);
    const m = await answer;
    expect(m[2]).toBe('TIMEOUT');
    await closed(conn);
  });
});

describe('requests', () => {
  test('set/get through two replicas: both apply every write, reads are spread', async () => {
    const router = await startRouter();
    const { a, bb: c2 } = await twoInSync(router);
    const c = await FakeClient.open(router);
    expect(await c.request(Op.SET, 'greeting', b('hello'), null)).toBe(true);
    expect(await c.request(Op.SET, 'greeting', b('again'), { nx: true })).toBe(false);
    expect(await c.request(Op.SET, 'greeting', b('hi'), { get: true })).toEqual([true, b('hello')]);
    expect(await c.request(Op.MSET, [['x', b('1')], ['y', b('2')]])).toBeNull();
    expect(await c.request(Op.BATCH, [['s', 'z', b('3')], ['d', 'x'], ['d', 'nope']])).toEqual([true, true, false]);
    expect(await c.request(Op.DEL, 'y')).toBe(true);
    for (let i = 0; i < 10; i++) expect(await c.request(Op.GET, 'greeting')).toEqual(b('hi'));
    expect(await c.request(Op.GET, 'missing')).toBeNull();
    expect(await c.request(Op.HAS, 'z')).toBe(true);
    expect(await c.request(Op.MGET, ['z', 'x', 'greeting'])).toEqual([b('3'), null, b('hi')]);
    expect(await c.request(Op.KEYS, '', null, null)).toEqual([['greeting', 'z'], null]);
    expect(await c.request(Op.KEYS, '', 1, null)).toEqual([['greeting'], 'greeting']);
    expect(a.violations).toEqual([]);
    expect(c2.violations).toEqual([]);
    expect([...a.data.entries()]).toEqual([...c2.data.entries()]);
    expect(a.readsServed).toBeGreaterThan(2);
    expect(c2.readsServed).toBeGreaterThan(2);
    const s: RouterStatus = (await c.request(Op.STATUS)) as RouterStatus;
    expect(s.seq).toBe(a.seq);
    expect(s.replicas.map((r) => r.state)).toEqual(['in-sync', 'in-sync']);
    expect(s.ops.writes).toBe(6);
    expect(s.clients).toBe(1);
  });

  test('bad arguments are answered per request; the connection stays usable', async () => {
    const router = await startRouter();
    const r = new FakeReplica('a');
    await r.join(router);
    await waitFor('in sync', () => inSync(router, 'a'));
    const c = await FakeClient.open(router);
    await expectError(c.request(Op.GET, ''), 'BAD_REQUEST');
    await expectError(c.request(Op.SET, 'k', 'not bytes', null), 'BAD_REQUEST');
    await expectError(c.request(Op.SET, 'k', b('v'), { nx: true, xx: true }), 'BAD_REQUEST');
    await expectError(c.request(Op.BATCH, [['x', 'k']]), 'BAD_REQUEST');
    await expectError(c.request(Op.GET, 'k'.repeat(70 * 1024)), 'TOO_LARGE');
    expect(await c.request(Op.PING)).toBe('PONG');
  });

  test('NO_REPLICAS for reads and writes when no replica is in sync; PING and STATUS still answer', async () => {
    const router = await startRouter();
    const c = await FakeClient.open(router);
    await expectError(c.request(Op.GET, 'k'), 'NO_REPLICAS');
    await expectError(c.request(Op.SET, 'k', b('v'), null), 'NO_REPLICAS');
    expect(await c.request(Op.PING)).toBe('PONG');
    expect(((await c.request(Op.STATUS)) as RouterStatus).replicas).toEqual([]);
    expect(router.status().seq).toBe(0);
  });

  test('write-ack majority waits for enough acks; TIMEOUT says how many applied', async () => {
    const router = await startRouter({ writeAck: 'majority', writeTimeoutMs: 400 });
    const { a, bb } = await twoInSync(router);
    const c = await FakeClient.open(router);
    bb.holdAcks = true;
    let answered = false;
    const p = c.request(Op.SET, 'k', b('v'), null).then((v) => {
      answered = true;
      return v;
    });
    await waitFor('a applied the write', () => a.get('k') === 'v');
    await delay(50);
    expect(answered).toBe(false); // a alone is not a majority of two
    bb.release();
    expect(await p).toBe(true);

    bb.holdAcks = true;
    const err = await expectError(c.request(Op.SET, 'k2', b('v'), null), 'TIMEOUT');
    expect(err.details).toEqual({ applied: 1, required: 2 });
  });

  test('one WRITE_ACKS acknowledges a run of writes, each client getting its own result', async () => {
    const router = await startRouter({ writeAck: 'all' });
    const a = new FakeReplica('a');
    await a.join(router);
    await waitFor('a in sync', () => inSync(router, 'a'));
    const c = await FakeClient.open(router);
    a.holdAcks = true;
    const answers = Promise.all([
      c.request(Op.SET, 'x', b('1'), null),
      c.request(Op.SET, 'x', b('2'), { nx: true }),
      c.request(Op.DEL, 'nothing'),
      c.request(Op.SET, 'x', b('3'), { get: true }),
    ]);
    await waitFor('a applied all four', () => a.get('x') === '3');
    a.releaseAsOne();
    expect(await answers).toEqual([true, false, false, [true, b('1')]]);
    expect(router.status().replicas[0].seq).toBe(router.status().seq);
  });

  test('a replica that disconnects with a write pending fails it once the requirement cannot be met', async () => {
    const router = await startRouter({ writeAck: 'all', writeTimeoutMs: 5000 });
    const { a, bb } = await twoInSync(router);
    const c = await FakeClient.open(router);
    bb.holdAcks = true;
    const p = expectError(c.request(Op.SET, 'k', b('v'), null), 'TIMEOUT');
    await waitFor('a applied the write', () => a.get('k') === 'v');
    await bb.leave();
    expect((await p).details).toEqual({ applied: 1, required: 2 });
  });

  test('reads outstanding on a replica that dies are retried on another', async () => {
    const router = await startRouter();
    const { a, bb } = await twoInSync(router);
    const c = await FakeClient.open(router);
    await c.request(Op.SET, 'k', b('v'), null);
    a.swallowReads = true;
    const reads = [c.request(Op.GET, 'k'), c.request(Op.GET, 'k'), c.request(Op.GET, 'k')];
    await waitFor('a holds a read', () => (replicaStatus(router, 'a')?.inflightReads ?? 0) > 0);
    await a.leave();
    expect(await Promise.all(reads)).toEqual([b('v'), b('v'), b('v')]);
    await bb.leave();
    await expectError(c.request(Op.GET, 'k'), 'NO_REPLICAS');
  });

  test('too many requests in flight on one connection', async () => {
    const router = await startRouter({ maxInflightPerClient: 2 });
    const a = new FakeReplica('a');
    await a.join(router);
    await waitFor('in sync', () => inSync(router, 'a'));
    const c = await FakeClient.open(router);
    a.holdAcks = true;
    const p1 = c.request(Op.SET, 'a', b('1'), null);
    const p2 = c.request(Op.SET, 'b', b('2'), null);
    await expectError(c.request(Op.SET, 'c', b('3'), null), 'TOO_MANY_REQUESTS');
    a.release();
    expect(await Promise.all([p1, p2])).toEqual([true, true]);
  });

  test('dispatch runs a request without a connection', async () => {
    const router = await startRouter();
    const a = new FakeReplica('a');
    await a.join(router);
    await waitFor('in sync', () => inSync(router, 'a'));
    const call = (op: number, args: unknown[]) =>
      new Promise<unknown>((resolve, reject) => router.dispatch(op, args, (err, v) => (err ? reject(err) : resolve(v))));
    expect(await call(Op.PING, [])).toBe('PONG');
    expect(await call(Op.SET, ['k', b('v'), null])).toBe(true);
    expect(await call(Op.GET, ['k'])).toEqual(b('v'));
    await expectError(call(Op.GET, []), 'BAD_REQUEST');
    await expectError(call(999, []), 'NOT_SUPPORTED');
  });

  test('stop() fails in-flight requests with SHUTTING_DOWN and closes every connection', async () => {
    const router = await startRouter();
    const a = new FakeReplica('a');
    await a.join(router);
    await waitFor('in sync', () => inSync(router, 'a'));
    const c = await FakeClient.open(router);
    a.holdAcks = true;
    const p = expectError(c.request(Op.SET, 'k', b('v'), null), 'SHUTTING_DOWN');
    await waitFor('a got the write', () => a.seq > 0 && a.get('k') === 'v');
    await router.stop();
    await p;
    await closed(c.conn);
    await closed(a.conn);
  });
});

describe('slow replicas', () => {
  async function writeUntil(c: FakeClient, cond: () => boolean, what: string): Promise<void> {
    const big = Buffer.alloc(256 * 1024, 7);
    for (let i = 0; i < 400 && !cond(); i++) await c.request(Op.SET, `big${i % 8}`, big, null);
    if (!cond()) throw new Error(`never saw ${what}`);
  }

  test('a replica that stops reading turns lagging (no reads), then in sync again once it drains', async () => {
    const router = await startRouter({ writeAck: 'one', replicaWatermarks: { high: 512 * 1024, low: 64 * 1024, graceMs: 0 } });
    const a = new FakeReplica('a');
    const slow = new FakeReplica('slow');
    await a.join(router);
    await slow.join(router);
    await waitFor('both in sync', () => inSync(router, 'a', 'slow'));
    const c = await FakeClient.open(router);
    slow.conn.pause();
    await writeUntil(c, () => replicaStatus(router, 'slow')?.state === 'lagging', 'slow lagging');
    const readsBefore = slow.readsServed;
    for (let i = 0; i < 5; i++) await c.request(Op.GET, 'big0');
    expect(slow.readsServed).toBe(readsBefore); // every read went to a
    slow.conn.resume();
    await waitFor('slow in sync again', () => inSync(router, 'slow'), 10_000);
    await waitFor('slow applied everything', () => slow.seq === router.status().seq, 10_000);
    expect(slow.violations).toEqual([]);
  });

  test('a replica past the hard limit is disconnected', async () => {
    const router = await startRouter({
      writeAck: 'one',
      backlogBytes: 256 * 1024,
      replicaWatermarks: { high: 256 * 1024, low: 64 * 1024, hard: 1024 * 1024 },
    });
    const a = new FakeReplica('a');
    const slow = new FakeReplica('slow');
    await a.join(router);
    await slow.join(router);
    await waitFor('both in sync', () => inSync(router, 'a', 'slow'));
    const c = await FakeClient.open(router);
    slow.conn.pause();
    await writeUntil(c, () => !replicaStatus(router, 'slow'), 'slow disconnected');
    expect(router.status().replicas.map((r) => r.name)).toEqual(['a']);
  });
});

describe('protocol errors', () => {
  test('garbage closes only that connection', async () => {
    const router = await startRouter();
    const good = await FakeClient.open(router);
    const bad = await FakeClient.open(router);
    const answer = nextMessage(bad.conn);
    const garbage = Buffer.alloc(FRAME_HEADER_BYTES + 3);
    garbage.writeUInt32BE(3, 0);
    garbage.set([0xc1, 0xc1, 0xc1], FRAME_HEADER_BYTES); // 0xc1 is never valid MessagePack
    bad.conn.socket.write(garbage);
    const m = await answer;
    expect(m[2]).toBe('PROTOCOL_ERROR');
    await closed(bad.conn);

    const bad2 = await FakeClient.open(router);
    const answer2 = nextMessage(bad2.conn);
    bad2.conn.send([77, 1]);
    expect((await answer2)[2]).toBe('PROTOCOL_ERROR');
    await closed(bad2.conn);

    const bad3 = await FakeClient.open(router);
    const answer3 = nextMessage(bad3.conn);
    bad3.conn.send([Op.GET, 1]); // wrong arity
    expect((await answer3)[2]).toBe('PROTOCOL_ERROR');
    await closed(bad3.conn);

    expect(await good.request(Op.PING)).toBe('PONG');
  });

  test.each([
    ['a WRITE_ACK without a seq', () => [Op.WRITE_ACK, 'not a seq']],
    ['a WRITE_ACKS entry that is not a list of results', (seq: number) => [Op.WRITE_ACKS, seq + 1, [true]]],
    ['a WRITE_ACKS whose first seq is not a number', () => [Op.WRITE_ACKS, 'x', [[true]]]],
    ['an empty WRITE_ACKS', (seq: number) => [Op.WRITE_ACKS, seq + 1, []]],
    ['a WRITE_ACKS that goes back over acknowledged writes', (seq: number) => [Op.WRITE_ACKS, seq, [[true], [true]]]],
    ['a WRITE_ACKS result that is not a write result', (seq: number) => [Op.WRITE_ACKS, seq + 1, [['nonsense']]]],
  ])('a replica sending %s is cut off; the others keep serving', async (_name, make) => {
    const router = await startRouter();
    const { bb } = await twoInSync(router);
    const c = await FakeClient.open(router);
    expect(await c.request(Op.SET, 'k', b('v'), null)).toBe(true);
    bb.conn.send(make(router.status().seq));
    await closed(bb.conn);
    expect(await c.request(Op.SET, 'k2', b('v'), null)).toBe(true);
    expect(await c.request(Op.GET, 'k2')).toEqual(b('v'));
  });
});

describe('joining and resync', () => {
  test('incremental catch-up from the backlog after a replica reconnects', async () => {
    const router = await startRouter();
    const { a, bb } = await twoInSync(router);
    const c = await FakeClient.open(router);
    await c.request(Op.SET, 'before', b('1'), null);
    await waitFor('b applied it', () => bb.get('before') === '1');
    await bb.leave();
    // Writes sequenced before the router sees b go would count on it (and fail, correctly).
    await waitFor('the router dropped b', () => !replicaStatus(router, 'b'));
    const leftAt = bb.seq;
    for (let i = 0; i < 5; i++) await c.request(Op.SET, `k${i}`, b(String(i)), null);
    await c.request(Op.DEL, 'before');
    expect(bb.get('k0')).toBeUndefined();

    bb.syncStarts.length = 0;
    await bb.join(router);
    await waitFor('b in sync again', () => inSync(router, 'b') && bb.seq === router.status().seq);
    expect(bb.syncStarts[0].slice(0, 4)).toEqual([Op.SYNC_START, 'incremental', router.status().epoch, leftAt]);
    expect(bb.syncDone).toEqual([Op.SYNC_DONE, router.status().epoch, router.status().seq]);
    expect(bb.violations).toEqual([]);
    expect([...bb.data.entries()]).toEqual([...a.data.entries()]);
    expect(bb.get('before')).toBeUndefined();
    await waitFor('the router has b\'s acks', () => replicaStatus(router, 'b')?.lag === 0);
    expect(replicaStatus(router, 'b')?.seq).toBe(router.status().seq);
  });

  test('a replica outside the backlog gets a full resync', async () => {
    const router = await startRouter({ backlogBytes: 200 });
    const { bb } = await twoInSync(router);
    const c = await FakeClient.open(router);
    await bb.leave();
    await waitFor('the router dropped b', () => !replicaStatus(router, 'b'));
    for (let i = 0; i < 20; i++) await c.request(Op.SET, `k${i}`, b('x'.repeat(20)), null);
    bb.syncStarts.length = 0;
    await bb.join(router);
    await waitFor('b in sync again', () => inSync(router, 'b') && bb.seq === router.status().seq);
    expect(bb.syncStarts[0][1]).toBe('full');
    expect(bb.data.size).toBe(20);
    expect(bb.violations).toEqual([]);
  });

  test('full resync between two replicas: chunks within the window, then the writes made meanwhile', async () => {
    const logs: string[] = [];
    const router = await startRouter({ resyncWindow: 2, writeAck: 'one', logger: collecting(logs, 'info', 'warn') });
    const data: Record<string, string> = {};
    for (let i = 0; i < 20; i++) data[`key${String(i).padStart(2, '0')}`] = `value ${i}`;
    const a = await adoptedSource(router, { epoch: 5, seq: 40, data });
    const epoch = router.status().epoch;
    expect(epoch).toBeGreaterThan(5);
    expect(a.seq).toBe(41); // the epoch marker
    expect(a.epoch).toBe(epoch);
    const c = await FakeClient.open(router);
    await c.request(Op.SET, 'key00', b('changed before'), null);

    // Behind a in a's own epoch: a prefix of the history, so resynced from it.
    const bb = await heldJoiner(router, 'b', { epoch: 5, seq: 7, data: { stale: 'old' } });
    await waitFor('b got the first window of chunks', () => bb.chunksReceived === 2);
    const x = bb.syncStarts[0][3] as number;
    expect(bb.syncStarts[0].slice(0, 3)).toEqual([Op.SYNC_START, 'full', epoch]);
    expect(x).toBe(42);
    expect(bb.syncStarts[0][4]).toMatchObject({ source: 'a' });
    expect(replicaStatus(router, 'b')).toMatchObject({ state: 'syncing', resync: { mode: 'full', source: 'a', keysDone: 2 } });

    // Writes made during the resync are held back from b until its snapshot is complete.
    await c.request(Op.SET, 'key01', b('changed during'), null);
    await c.request(Op.SET, 'new', b('during'), null);
    await c.request(Op.DEL, 'key02');
    await delay(30);
    expect(bb.chunksReceived).toBe(2); // no credit, no more chunks
    expect(bb.writesApplied).toBe(0);
    await expectError(c.request(Op.GET, 'anything'), 'NO_REPLICAS').catch(() => undefined); // a may serve it; b must not
    bb.release();

    await waitFor('b in sync', () => inSync(router, 'b') && bb.seq === router.status().seq);
    expect(bb.violations).toEqual([]);
    expect(a.violations).toEqual([]);
    expect(bb.chunksReceived).toBe(20);
    expect(bb.get('stale')).toBeUndefined();
    expect(bb.get('key00')).toBe('changed before');
    expect(bb.get('key01')).toBe('changed during');
    expect(bb.get('new')).toBe('during');
    expect(bb.get('key02')).toBeUndefined();
    expect([...bb.data.entries()].sort()).toEqual([...a.data.entries()].sort());
    expect(bb.syncDone).toEqual([Op.SYNC_DONE, epoch, router.status().seq]);
    expect(logs.some((l) => /full resync .* of b from a/.test(l))).toBe(true);
    expect(logs.some((l) => /full resync .* done: 20 keys/.test(l))).toBe(true);

    // b now serves reads too: take a away and read through b.
    await a.leave();
    expect(await c.request(Op.GET, 'new')).toEqual(b('during'));
  });

  test('a source that disconnects mid-resync: the joiner is told and restarts from another source', async () => {
    const router = await startRouter({ resyncWindow: 1, writeAck: 'one' });
    const a = await adoptedSource(router, { epoch: 5, seq: 3, data: { k1: '1', k2: '2', k3: '3' } });
    const bb = new FakeReplica('b', { epoch: 5, seq: 3, data: { k1: '1', k2: '2', k3: '3' } });
    // Same position as a, but a already moved to the new epoch: b gets a full resync.
    const cc = new FakeReplica('c', { reset: true });
    cc.holdSnapshotAcks = true;
    await bb.join(router);
    await waitFor('b in sync', () => inSync(router, 'b'));
    await cc.join(router);
    await waitFor('c got a chunk', () => cc.chunksReceived === 1);
    const source = (cc.syncStarts[0][4] as { source: string }).source;
    const gone = source === 'a' ? a : bb;
    await gone.leave();
    await waitFor('c was told', () => cc.aborts.length === 1);
    cc.release();
    await waitFor('c in sync', () => inSync(router, 'c'));
    expect(cc.syncStarts.length).toBe(2);
    expect(cc.data.size).toBe(3);
    expect(cc.violations).toEqual([]);
  });

  test('a joiner acknowledging chunks it was never sent is disconnected; the source gets no credit for it', async () => {
    const router = await startRouter({ resyncWindow: 2, writeAck: 'one' });
    const data: Record<string, string> = {};
    for (let i = 0; i < 10; i++) data[`k${i}`] = `v${i}`;
    const a = await adoptedSource(router, { epoch: 1, seq: 1, data });
    const bb = await heldJoiner(router, 'b', { reset: true });
    await waitFor('b got the first window', () => bb.chunksReceived === 2);
    const { resyncId } = bb.syncStarts[0][4] as { resyncId: number };
    // Hostile: acks 1,000 chunks for the 2 it received (and repeats it).
    for (let i = 0; i < 5; i++) bb.conn.send([Op.SNAPSHOT_ACK, resyncId, 1000]);
    await closed(bb.conn);
    expect(a.creditsReceived).toBe(0);
    // The router drops the link when its own socket closes, which may be a moment after b's.
    await waitFor('b dropped', () => replicaStatus(router, 'b') === undefined);
    // An honest joiner after it still gets the whole snapshot.
    const cc = new FakeReplica('c', { reset: true });
    await cc.join(router);
    await waitFor('c in sync', () => inSync(router, 'c'));
    expect(cc.data.size).toBe(10);
    expect([a, cc].flatMap((r) => r.violations)).toEqual([]);
  });

  test('a joiner is in sync only after acknowledging every chunk, not when the source ends', async () => {
    const router = await startRouter({ writeAck: 'one' });
    const a = await adoptedSource(router, { epoch: 1, seq: 1, data: { k1: 'v1', k2: 'v2', k3: 'v3' } });
    const bb = await heldJoiner(router, 'b', { reset: true });
    // The whole snapshot fits in the window: the source sends every chunk and SNAPSHOT_END.
    await waitFor('b got all chunks', () => bb.chunksReceived === 3);
    await delay(50);
    expect(replicaStatus(router, 'b')?.state).toBe('syncing');
    expect(bb.syncDone).toBeUndefined();
    bb.release();
    await waitFor('b in sync', () => inSync(router, 'b'));
    expect(bb.syncDone).toBeDefined();
    expect(bb.violations).toEqual([]);
  });

  test('the resync rate limit slows the stream down', async () => {
    const router = await startRouter({ resyncWindow: 8, writeAck: 'one', resyncRateBytesPerSec: 20 * 1024 });
    const data: Record<string, string> = {};
    for (let i = 0; i < 10; i++) data[`k${i}`] = 'x'.repeat(1024);
    const a = await adoptedSource(router, { epoch: 1, seq: 1, data });
    const bb = new FakeReplica('b', { reset: true });
    const t0 = Date.now();
    await bb.join(router);
    await waitFor('b in sync', () => inSync(router, 'b'));
    // ~10 KiB at 20 KiB/s: credits are held back so the stream takes about half a second.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
    expect(bb.data.size).toBe(10);
    // Under a limit of less than a chunk per second the source starts with one chunk of
    // credit, not the whole window of 8 (which would leave at once, far above the limit).
    expect(a.snapshotWindows).toEqual([1]);
  });

  test('startup join window: the highest (epoch, seq) is adopted, others resync from it, requests are held', async () => {
    const router = await startRouter({ joinWindowMs: 5000, expectReplicas: 3 });
    const old = new FakeReplica('old', { epoch: 200, seq: 30, data: { k: 'old' } });
    const best = new FakeReplica('best', { epoch: 200, seq: 50, data: { k: 'best' } });
    const same = new FakeReplica('same', { epoch: 200, seq: 50, data: { k: 'best' } });
    await old.join(router);
    const c = await FakeClient.open(router);
    const heldRead = c.request(Op.GET, 'k');
    await best.join(router);
    await delay(20);
    expect(router.status().seq).toBe(0); // still waiting for the third
    await same.join(router);
    expect(await heldRead).toEqual(b('best'));
    const s = router.status();
    expect(s.seq).toBe(51);
    expect(s.epoch).toBeGreaterThan(200);
    expect(best.syncStarts[0].slice(0, 4)).toEqual([Op.SYNC_START, 'incremental', s.epoch, 50]);
    expect(same.syncStarts[0][1]).toBe('incremental');
    await waitFor('old resynced', () => inSync(router, 'old', 'best', 'same') && old.seq === 51);
    expect(old.syncStarts[0][1]).toBe('full');
    expect(old.get('k')).toBe('best');
    expect([best, same, old].flatMap((r) => r.violations)).toEqual([]);
  });

  test('an empty or reset replica is never adopted while one with data is in the window', async () => {
    const router = await startRouter({ joinWindowMs: 5000, expectReplicas: 2 });
    const empty = new FakeReplica('empty');
    const full = new FakeReplica('full', { epoch: 1, seq: 5, data: { k: 'v' } });
    await empty.join(router);
    await full.join(router);
    await waitFor('both in sync', () => inSync(router, 'empty', 'full'));
    expect(full.syncStarts[0][1]).toBe('incremental');
    expect(empty.syncStarts[0][1]).toBe('full');
    expect(empty.get('k')).toBe('v');
  });

  test('a replica claiming a position ahead of the router keeps its data, out of service, and it is reported', async () => {
    const errors: string[] = [];
    const router = await startRouter({ logger: collecting(errors, 'error') });
    const a = new FakeReplica('a');
    await a.join(router);
    await waitFor('a in sync', () => inSync(router, 'a'));
    const epoch = router.status().epoch;
    const ahead = new FakeReplica('ahead', { epoch, seq: 1000, data: { ghost: 'x' } });
    await ahead.join(router);
    await waitFor('ahead reported', () => replicaStatus(router, 'ahead')?.state === 'diverged');
    await delay(50);
    expect(ahead.syncStarts).toEqual([]);
    expect(ahead.get('ghost')).toBe('x');
    expect(replicaStatus(router, 'ahead')?.conflict).toMatch(/ahead of this router's history/);
    expect(errors.some((e) => /ahead .*--reset/.test(e))).toBe(true);
    // It receives no writes and serves no reads.
    const c = await FakeClient.open(router);
    await c.request(Op.SET, 'k', b('v'), null);
    expect(ahead.seq).toBe(1000);
  });

  test('a replica from an epoch the router has no record of is not resynced either', async () => {
    const router = await startRouter({ joinWindowMs: 5000, expectReplicas: 2 });
    const fresh = new FakeReplica('fresh');
    const other = new FakeReplica('other', { epoch: 3, seq: 7, data: { k: 'theirs' } });
    await fresh.join(router);
    await other.join(router);
    // The window adopts the replica holding data; now an empty one and one from elsewhere.
    await waitFor('other adopted', () => inSync(router, 'other', 'fresh'));
    const stranger = new FakeReplica('stranger', { epoch: 2, seq: 5, data: { k: 'mine' } });
    await stranger.join(router);
    await waitFor('stranger reported', () => replicaStatus(router, 'stranger')?.state === 'diverged');
    expect(replicaStatus(router, 'stranger')?.conflict).toMatch(/epoch 2 .*does not include/);
    expect(stranger.get('k')).toBe('mine');
    expect(stranger.syncStarts).toEqual([]);
  });
});

describe('restart with the router state', () => {
  /** The same replica process back after a restart: same name, position and data. */
  function back(r: FakeReplica, options: FakeReplicaOptions = {}): FakeReplica {
    const data: Record<string, string> = {};
    for (const [k, v] of r.data) data[k] = v.toString();
    return new FakeReplica(r.name, { epoch: r.epoch, seq: r.seq, data, ...options });
  }

  function stateFile(): string {
    return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kvndb-router-state-')), 'router.state.json');
  }

  test('a stale replica that joins first is not adopted; the router waits for one holding every acknowledged write', async () => {
    const file = stateFile();
    const r1 = await startRouter({ stateFile: file, joinWindowMs: 2000, expectReplicas: 3 });
    const [a, bb, cc] = ['a', 'b', 'c'].map((n) => new FakeReplica(n));
    for (const r of [a, bb, cc]) await r.join(r1);
    await waitFor('three in sync', () => inSync(r1, 'a', 'b', 'c'));
    const c1 = await FakeClient.open(r1);
    await c1.request(Op.SET, 'k', b('1'), null);
    await a.leave();
    await waitFor('a gone', () => replicaStatus(r1, 'a') === undefined);
    await c1.request(Op.SET, 'k', b('2'), null);
    await c1.request(Op.SET, 'k', b('3'), null);
    await r1.stop();

    const errors: string[] = [];
    const r2 = await startRouter({ stateFile: file, joinWindowMs: 100, logger: collecting(errors, 'error') });
    const stale = back(a);
    await stale.join(r2);
    await delay(300);
    expect(r2.status().waitingFor).toMatch(/1 more of b, c/);
    expect(errors.some((e) => /not serving: waiting for replicas that hold every acknowledged write/.test(e))).toBe(true);
    const c2 = await FakeClient.open(r2);
    const refused = await expectError(c2.request(Op.GET, 'k'), 'NO_REPLICAS');
    expect(refused.message).toMatch(/1 more of b, c/);
    expect(stale.syncStarts).toEqual([]);

    const b2 = back(bb);
    await b2.join(r2);
    await waitFor('b adopted and a resynced from it', () => inSync(r2, 'a', 'b'));
    expect(r2.status().waitingFor).toBeUndefined();
    expect(await c2.request(Op.GET, 'k')).toEqual(b('3'));
    expect(stale.get('k')).toBe('3');
    const c3 = back(cc);
    await c3.join(r2);
    await waitFor('c in sync', () => inSync(r2, 'c'));
    expect(c3.get('k')).toBe('3');
    expect([stale, b2, c3].flatMap((r) => r.violations)).toEqual([]);
  });

  test('a member that comes back empty (a restarted memory replica) proves nothing; the one with data is adopted', async () => {
    const file = stateFile();
    const r1 = await startRouter({ stateFile: file, joinWindowMs: 2000, expectReplicas: 2 });
    const mem = new FakeReplica('mem');
    const disk = new FakeReplica('disk');
    await mem.join(r1);
    await disk.join(r1);
    await waitFor('both in sync', () => inSync(r1, 'mem', 'disk'));
    const c1 = await FakeClient.open(r1);
    for (let i = 0; i < 5; i++) await c1.request(Op.SET, `k${i}`, b(`v${i}`), null);
    await delay(1100); // a tick: the floors are saved
    await r1.stop();

    const r2 = await startRouter({ stateFile: file, joinWindowMs: 100 });
    const memAgain = new FakeReplica('mem'); // its memory is gone
    await memAgain.join(r2);
    await delay(300);
    expect(r2.status().waitingFor).toMatch(/mem joined empty/);
    const diskAgain = back(disk);
    await diskAgain.join(r2);
    await waitFor('disk adopted, mem resynced', () => inSync(r2, 'mem', 'disk'));
    expect(diskAgain.syncStarts[0][1]).toBe('incremental');
    expect(memAgain.get('k4')).toBe('v4');
  });

  test('when every copy is gone, --accept-data-loss starts over from what is left, and says so', async () => {
    const file = stateFile();
    const r1 = await startRouter({ stateFile: file });
    const mem = new FakeReplica('mem');
    await mem.join(r1);
    await waitFor('in sync', () => inSync(r1, 'mem'));
    const c1 = await FakeClient.open(r1);
    await c1.request(Op.SET, 'k', b('v'), null);
    await r1.stop();

    const r2 = await startRouter({ stateFile: file, joinWindowMs: 50 });
    await new FakeReplica('mem').join(r2);
    await delay(200);
    expect(r2.status().waitingFor).toMatch(/mem joined empty/);
    await r2.stop();

    const errors: string[] = [];
    const r3 = await startRouter({ stateFile: file, joinWindowMs: 50, acceptDataLoss: true, logger: collecting(errors, 'error') });
    await new FakeReplica('mem').join(r3);
    await waitFor('adopted anyway', () => inSync(r3, 'mem'));
    expect(errors.some((e) => /--accept-data-loss: adopting mem .* are lost/.test(e))).toBe(true);
    const c3 = await FakeClient.open(r3);
    expect(await c3.request(Op.GET, 'k')).toBeNull();
  });

  test('no state file, the first replica to arrive empty, a replica holding data later: that data is kept, not wiped', async () => {
    const router = await startRouter({ joinWindowMs: 50 });
    const mem = new FakeReplica('mem');
    await mem.join(router);
    await waitFor('mem adopted', () => inSync(router, 'mem'));
    const disk = new FakeReplica('disk', { epoch: 5, seq: 10, data: { k: 'kept' } });
    await disk.join(router);
    await waitFor('disk reported', () => replicaStatus(router, 'disk')?.state === 'diverged');
    expect(disk.get('k')).toBe('kept');
    expect(disk.syncStarts).toEqual([]);
    expect(replicaStatus(router, 'disk')?.conflict).toMatch(/does not include/);
  });

  test('a damaged state file stops the router from starting instead of being taken for a fresh start', () => {
    const file = stateFile();
    fs.writeFileSync(file, '{"version":1,"history":');
    expect(() => new Router({ port: 0, stateFile: file })).toThrow(/damaged .*move it away/);
  });
});
