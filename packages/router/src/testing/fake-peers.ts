/**
 * Fake peers for the router's end-to-end tests: a real Router on 127.0.0.1 port 0 that
 * also serves an in-process transport, which the peers use unless a test asks for TCP
 * (protocol logic needs no ports), with fake replicas and fake clients built from shared's
 * FramedConnection + peerHandshake. A fake replica is a small Map that applies WRITEs in
 * order (checking seq continuity), answers reads, and can act as a snapshot source or
 * joiner. Importing this module registers an afterEach that closes them all.
 */
import {
  FRAME_HEADER_BYTES,
  FramedConnection,
  KvndbError,
  Op,
  PROTOCOL_VERSION,
  compareKeys,
  createLogger,
  InProcessTransport,
  dial,
  peerHandshake,
  type RouterStatus,
  type WelcomeInfo,
  type Transport,
} from '@kvndb/shared';
import { Router, type RouterOptions } from '../index';

export const routers: Router[] = [];
/** Each test router's in-process transport: how peers reach it by default. */
const inProcess = new WeakMap<Router, InProcessTransport>();
export const conns: FramedConnection[] = [];

afterEach(async () => {
  for (const c of conns.splice(0)) c.close();
  await Promise.all(routers.splice(0).map((r) => r.stop()));
});

export async function startRouter(options: RouterOptions = {}): Promise<Router> {
  const debug = process.env.KVNDB_TEST_DEBUG ? { logger: createLogger({ name: 'router', verbose: true }) } : {};
  const r = new Router({ port: 0, joinWindowMs: 0, writeTimeoutMs: 3000, ...debug, ...options });
  routers.push(r);
  await r.start();
  const t = new InProcessTransport(`test-router-${r.address.port}`);
  await r.serve(t);
  inProcess.set(r, t);
  return r;
}

/**
 * A connection to `router` through `via` (a transport it serves), by default its in-process
 * transport; 'tcp' dials its TCP port (for what only a socket has: kernel buffers, addresses).
 */
export async function rawConnect(router: Router, via?: Transport | 'tcp'): Promise<FramedConnection> {
  let conn: FramedConnection;
  const transport = via === 'tcp' ? undefined : (via ?? inProcess.get(router));
  if (transport) {
    const link = await transport.dial();
    conn = new FramedConnection(link.stream, { address: link.address });
  } else {
    conn = new FramedConnection(await dial({ host: '127.0.0.1', port: router.address.port }));
  }
  conns.push(conn);
  return conn;
}

export function nextMessage(conn: FramedConnection): Promise<unknown[]> {
  return new Promise((resolve) => {
    conn.onMessage = (m) => resolve(m as unknown[]);
  });
}

export function closed(conn: FramedConnection): Promise<void> {
  return conn.isClosed ? Promise.resolve() : new Promise((resolve) => conn.once('close', () => resolve()));
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A logger that keeps the messages of the given levels in `into` (the others are dropped). */
export function collecting(into: string[], ...levels: Array<'info' | 'warn' | 'error'>): RouterOptions['logger'] {
  const keep = (level: string) => (levels.includes(level as 'info') ? (m: string) => void into.push(m) : () => {});
  return { info: keep('info'), warn: keep('warn'), error: keep('error'), debug: () => {} } as never;
}
export const b = (s: string) => Buffer.from(s);

export class FakeClient {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: KvndbError) => void }>();
  welcome!: WelcomeInfo;

  constructor(readonly conn: FramedConnection) {}

  static async open(router: Router, secret?: string, via?: Transport | 'tcp'): Promise<FakeClient> {
    const conn = await rawConnect(router, via);
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

export interface FakeReplicaOptions {
  epoch?: number;
  seq?: number;
  reset?: boolean;
  data?: Record<string, string>;
  secret?: string;
  /** Connect through this transport instead of the router's port. */
  via?: Transport | 'tcp';
}

export class FakeReplica {
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
    this.conn = await rawConnect(router, this.options.via);
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
          // A sweep: this fake keeps no expiries.
          if (op[0] === 'x') return [[], 0];
          if (op[0] !== 's') return { error: 'NOT_SUPPORTED', message: `the fake replica does not apply ${String(op[0])}` };
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
      case Op.CLOCK:
        // The router's time for the reads that follow: this fake keeps no expiries.
        if (typeof m[1] !== 'number') this.violations.push('CLOCK without a time');
        return;
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

export function replicaStatus(router: Router, name: string) {
  return router.status().replicas.find((r) => r.name === name);
}

export function inSync(router: Router, ...names: string[]): boolean {
  const s = router.status();
  return names.every((n) => s.replicas.some((r) => r.name === n && r.state === 'in-sync'));
}

/** Replica 'a' holding `options`' data joins an empty router and is adopted as the source. */
export async function adoptedSource(router: Router, options: FakeReplicaOptions): Promise<FakeReplica> {
  const a = new FakeReplica('a', options);
  await a.join(router);
  await waitFor('a adopted', () => inSync(router, 'a'));
  return a;
}

/** Replicas 'a' and 'b' join an empty router and are both in sync. */
export async function twoInSync(router: Router): Promise<{ a: FakeReplica; bb: FakeReplica }> {
  const a = new FakeReplica('a');
  const bb = new FakeReplica('b');
  await a.join(router);
  await bb.join(router);
  await waitFor('both in sync', () => inSync(router, 'a', 'b'));
  return { a, bb };
}

/** A joiner that receives snapshot chunks but acknowledges none until release(). */
export async function heldJoiner(router: Router, name: string, options: FakeReplicaOptions): Promise<FakeReplica> {
  const joiner = new FakeReplica(name, options);
  joiner.holdSnapshotAcks = true;
  await joiner.join(router);
  return joiner;
}

export async function expectError(p: Promise<unknown>, code: string): Promise<KvndbError> {
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
