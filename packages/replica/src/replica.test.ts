import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  FramedConnection,
  InProcessTransport,
  Op,
  PROTOCOL_VERSION,
  encodeFrame,
  makeNonce,
  socketTransport,
  verifyProof,
  KvndbError,
  type Link,
  type Listener,
  type Transport,
  type WriteOp,
} from '@kvndb/shared';
import { MemoryStore } from './store/memory-store';
import { Replica, type ReplicaOptions } from './replica';
import { wouldDiscardWrites } from './snapshot/resync-joiner';
import { SqliteStore } from './store/sqlite-store';
import type { Store } from './store/store';

/** A router-side connection in the fake router, after the handshake. */
class FakePeer {
  readonly messages: unknown[][] = [];
  private waiters: Array<() => void> = [];
  closed = false;

  constructor(
    readonly conn: FramedConnection,
    readonly hello: Record<string, unknown>,
  ) {
    conn.onMessage = (msg) => {
      this.messages.push(msg as unknown[]);
      this.wake();
    };
    conn.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  send(msg: unknown): void {
    this.conn.send(msg);
  }

  /** Several messages in one socket write, as the router's coalescing writer would send them. */
  sendTogether(msgs: unknown[]): void {
    this.conn.stream.write(Buffer.concat(msgs.map((m) => encodeFrame(m))));
  }

  /**
   * The next message with opcode `op` (earlier others are skipped but kept in `messages`).
   * Asked for WRITE_ACK, it also takes the acks of a WRITE_ACKS one at a time, as
   * [WRITE_ACK, seq, results]: the tests care which writes were acknowledged, and the one
   * that checks the batched form asks for WRITE_ACKS itself.
   */
  async next(op: number, timeoutMs = 5000): Promise<unknown[]> {
    const deadline = Date.now() + timeoutMs;
    let from = 0;
    for (;;) {
      for (let i = from; i < this.messages.length; i++) {
        const m = this.messages[i];
        if (op === Op.WRITE_ACK && m[0] === Op.WRITE_ACKS) {
          const [, first, list] = m as [number, number, unknown[]];
          this.messages.splice(i, 1, ...list.map((results, k) => [Op.WRITE_ACK, first + k, results]));
        }
        if (this.messages[i][0] === op) return this.messages.splice(i, 1)[0];
      }
      from = this.messages.length;
      if (this.closed) throw new Error(`connection closed while waiting for op ${op}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for op ${op}; got ${JSON.stringify(this.messages.map((m) => m[0]))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection did not close');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Request/response helper for reads. */
  private nextId = 1;
  async request(op: number, ...args: unknown[]): Promise<unknown[]> {
    const id = this.nextId++;
    this.send([op, id, ...args]);
    for (;;) {
      const reply = await this.nextMatching((m) => (m[0] === Op.RESULT || m[0] === Op.ERROR) && m[1] === id);
      return reply;
    }
  }

  async nextMatching(pred: (m: unknown[]) => boolean, timeoutMs = 5000): Promise<unknown[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.messages.findIndex(pred);
      if (i >= 0) return this.messages.splice(i, 1)[0];
      if (this.closed) throw new Error('connection closed while waiting');
      if (Date.now() > deadline) throw new Error('timed out waiting for a matching message');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 20);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

/**
 * Just enough router to drive a replica: the handshake (real HMAC check) and a message
 * queue. It listens on an in-process transport (no ports) unless given a socket one.
 */
class FakeRouter {
  private listener: Listener | undefined;
  port = 0;
  readonly peers: FakePeer[] = [];
  readonly conns = new Set<FramedConnection>();
  helloCount = 0;
  private waiters: Array<() => void> = [];

  /** Messages sent in the same socket write as WELCOME, as a real router may do. */
  afterWelcome: unknown[] = [];

  constructor(
    private readonly secret = '',
    readonly transport: Transport = new InProcessTransport('fake-router'),
  ) {}

  /** How the replica's log names this router. */
  get logName(): string {
    return this.transport.kind === 'in-process' ? 'in-process transport' : `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.listener = await this.transport.listen((link) => this.accept(link));
    this.port = this.listener.address.port;
    return this;
  }

  private accept(link: Link): void {
    const conn = new FramedConnection(link.stream, { address: link.address });
    this.conns.add(conn);
    conn.on('close', () => this.conns.delete(conn));
    const nonce = makeNonce();
    let hello: Record<string, unknown> = {};
    conn.onMessage = (raw) => {
      const msg = raw as unknown[];
      if (msg[0] === Op.HELLO) {
        this.helloCount++;
        hello = msg[3] as Record<string, unknown>;
        expect(msg[2]).toBe('replica');
        conn.send([Op.CHALLENGE, PROTOCOL_VERSION, nonce]);
      } else if (msg[0] === Op.AUTH) {
        if (this.secret && !verifyProof(this.secret, 'replica', nonce, msg[1])) {
          conn.sendErrorAndClose(KvndbError.authFailed());
          return;
        }
        const welcome = [Op.WELCOME, { version: 'fake', epoch: 1, seq: 0, maxFrameBytes: 1 << 26, maxKeyBytes: 65536, maxValueBytes: 1 << 26 }];
        this.peers.push(new FakePeer(conn, hello));
        conn.stream.write(Buffer.concat([welcome, ...this.afterWelcome].map((m) => encodeFrame(m))));
        const w = this.waiters;
        this.waiters = [];
        w.forEach((f) => f());
      }
    };
  }

  /** The n-th peer that completed the handshake (0-based), waiting for it if needed. */
  async peer(n: number, timeoutMs = 5000): Promise<FakePeer> {
    const deadline = Date.now() + timeoutMs;
    while (this.peers.length <= n) {
      if (Date.now() > deadline) throw new Error(`no peer #${n} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 20);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.peers[n];
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.close();
    await this.listener?.close();
  }
}

const b = (s: string) => Buffer.from(s);
const set = (k: string, v: string): WriteOp => ['s', k, b(v)];


/** A logger that appends `level message` lines to `lines`. */
function linesLogger(lines: string[]): ReplicaOptions['logger'] {
  const at = (level: string) => (m: string) => void lines.push(`${level} ${m}`);
  return { info: at('info'), warn: at('warn'), error: at('error'), debug: () => {} } as unknown as ReplicaOptions['logger'];
}
describe('Replica link', () => {
  let router: FakeRouter;
  let replica: Replica | null = null;

  const startReplica = (store: Store, extra: Partial<ReplicaOptions> = {}): Replica => {
    const via = router.transport.kind === 'in-process' && extra.port === undefined ? { transport: router.transport } : { host: '127.0.0.1', port: router.port };
    replica = new Replica({ ...via, store, name: 'r1', maxRetryDelayMs: 50, ...extra });
    replica.start();
    return replica;
  };

  beforeEach(async () => {
    router = await new FakeRouter().start();
  });
  afterEach(async () => {
    await replica?.stop();
    replica = null;
    await router.close();
  });

  test('joins with its stored position and name, applies writes, acks them and gets in sync', async () => {
    const store = new MemoryStore();
    store.apply([{ epoch: 5, seq: 3, ops: [set('old', 'x')] }]);
    const r = startReplica(store);
    const connected = new Promise((resolve) => r.once('connected', resolve));
    const inSync = new Promise<void>((resolve) => r.once('in-sync', resolve));
    const peer = await router.peer(0);
    await connected;
    expect(peer.hello).toEqual({ name: 'r1', epoch: 5, seq: 3, reset: false });
    expect(r.state).toBe('syncing');
    peer.send([Op.SYNC_START, 'incremental', 5, 3, {}]);
    peer.send([Op.WRITE, 5, 4, [set('a', '1'), ['s', 'a', b('2'), { nx: true }]]]);
    peer.send([Op.WRITE, 5, 5, [['d', 'old'], ['s', 'a', b('3'), { get: true }]]]);
    expect(await peer.next(Op.WRITE_ACK)).toEqual([Op.WRITE_ACK, 4, [true, false]]);
    expect(await peer.next(Op.WRITE_ACK)).toEqual([Op.WRITE_ACK, 5, [true, [true, b('1')]]]);
    peer.send([Op.SYNC_DONE, 5, 5]);
    await inSync;
    expect(r.state).toBe('in-sync');
    expect(store.position()).toEqual({ epoch: 5, seq: 5 });
    expect(store.get('a')).toEqual(b('3'));
    expect(store.has('old')).toBe(false);
  });

  test('frames that arrive in the same chunk as WELCOME are not lost', async () => {
    router.afterWelcome = [
      [Op.SYNC_START, 'incremental', 1, 0, {}],
      [Op.WRITE, 1, 1, [set('a', '1')]],
      [Op.SYNC_DONE, 1, 1],
    ];
    const store = new MemoryStore();
    const r = startReplica(store);
    const inSync = new Promise<void>((resolve) => r.once('in-sync', resolve));
    const peer = await router.peer(0);
    expect(await peer.next(Op.WRITE_ACK)).toEqual([Op.WRITE_ACK, 1, [true]]);
    await inSync;
    expect(store.get('a')).toEqual(b('1'));
  });

  test('reads wait while their answers pile up unread; a write behind them is applied and acknowledged at once', async () => {
    const store = new MemoryStore();
    const big = Buffer.alloc(1024 * 1024, 7);
    store.apply([{ epoch: 1, seq: 1, ops: [['s', 'big', big]] }]);
    replica = startReplica(store);
    const peer = await router.peer(0);
    peer.send([Op.SYNC_START, 'incremental', 1, 1, {}]);
    peer.send([Op.SYNC_DONE, 1, 1]);
    await new Promise<void>((resolve) => replica!.once('in-sync', resolve));
    peer.conn.pause(); // the router side stops reading: answers pile up in the replica
    peer.sendTogether([
      ...Array.from({ length: 100 }, (_, i) => [Op.GET, i + 1, 'big']),
      [Op.WRITE, 1, 2, [set('k', 'v')]],
    ]);
    await new Promise((r) => setTimeout(r, 300));
    // The write did not wait for 100 MiB of answers.
    expect(store.get('k')).toEqual(b('v'));
    peer.conn.resume();
    const ack = await peer.next(Op.WRITE_ACK);
    expect(ack).toEqual([Op.WRITE_ACK, 2, [true]]);
    const answersBeforeAck = peer.messages.filter((m) => m[0] === Op.RESULT).length;
    expect(answersBeforeAck).toBeLessThan(50);
    // Every read is still answered, in order, each with the value.
    const ids: unknown[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await peer.next(Op.RESULT, 10000);
      expect(Buffer.compare(r[2] as Buffer, big)).toBe(0);
      ids.push(r[1]);
    }
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  test('answers reads, and a read sees every write that arrived before it', async () => {
    const store = new MemoryStore();
    startReplica(store);
    const peer = await router.peer(0);
    // WRITE then reads in one socket chunk: the read must see the write.
    peer.sendTogether([
      [Op.WRITE, 1, 1, [set('user:1', 'alice'), set('user:2', 'bob'), set('user:3', 'carol'), set('x', 'y')]],
      [Op.GET, 100, 'user:1'],
      [Op.HAS, 101, 'user:2'],
      [Op.MGET, 102, ['user:3', 'none']],
    ]);
    expect(await peer.nextMatching((m) => m[1] === 100)).toEqual([Op.RESULT, 100, b('alice')]);
    expect(await peer.nextMatching((m) => m[1] === 101)).toEqual([Op.RESULT, 101, true]);
    expect(await peer.nextMatching((m) => m[1] === 102)).toEqual([Op.RESULT, 102, [b('carol'), null]]);
    expect(await peer.request(Op.GET, 'none')).toEqual([Op.RESULT, expect.any(Number), null]);
    expect(await peer.request(Op.KEYS, 'user:', 2, null)).toEqual([Op.RESULT, expect.any(Number), [['user:1', 'user:2'], 'user:2']]);
    expect(await peer.request(Op.KEYS, 'user:', 2, 'user:2')).toEqual([Op.RESULT, expect.any(Number), [['user:3'], null]]);
    expect(await peer.request(Op.KEYS, '', null, null)).toEqual([Op.RESULT, expect.any(Number), [['user:1', 'user:2', 'user:3', 'x'], null]]);
    expect(await peer.request(Op.PING)).toEqual([Op.RESULT, expect.any(Number), 'PONG']);
    const bad = await peer.request(Op.GET, 42);
    expect(bad.slice(0, 3)).toEqual([Op.ERROR, expect.any(Number), 'BAD_REQUEST']);
    const badLimit = await peer.request(Op.KEYS, '', 0, null);
    expect(badLimit[2]).toBe('BAD_REQUEST');
    // Still connected after bad requests.
    expect(await peer.request(Op.HAS, 'x')).toEqual([Op.RESULT, expect.any(Number), true]);
  });

  test('store failures on reads are reported as REPLICA_ERROR', async () => {
    const store = new MemoryStore();
    const fail = () => {
      throw new Error('disk on fire');
    };
    jest.spyOn(store, 'get').mockImplementation(fail);
    jest.spyOn(store, 'getStored').mockImplementation(fail);
    startReplica(store);
    const peer = await router.peer(0);
    const reply = await peer.request(Op.GET, 'k');
    expect(reply.slice(0, 4)).toEqual([Op.ERROR, expect.any(Number), 'REPLICA_ERROR', 'disk on fire']);
  });

  test('a big group is acknowledged in WRITE_ACKS frames of at most 64 writes, every write once and in order', async () => {
    startReplica(new MemoryStore());
    const peer = await router.peer(0);
    peer.sendTogether(Array.from({ length: 150 }, (_, i) => [Op.WRITE, 1, i + 1, [set(`k${i}`, `v${i}`)]]));
    let next = 1;
    while (next <= 150) {
      const m = await peer.nextMatching((x) => x[0] === Op.WRITE_ACK || x[0] === Op.WRITE_ACKS);
      if (m[0] === Op.WRITE_ACK) {
        expect(m).toEqual([Op.WRITE_ACK, next, [true]]);
        next++;
        continue;
      }
      const [, first, list] = m as [number, number, unknown[]];
      expect(first).toBe(next);
      expect(list.length).toBeGreaterThan(1);
      expect(list.length).toBeLessThanOrEqual(64);
      for (const results of list) expect(results).toEqual([true]);
      next += list.length;
    }
    expect(next).toBe(151);
  });

  test('in a group, a write whose result carries an old value (SET with GET) is acknowledged alone', async () => {
    startReplica(new MemoryStore());
    const peer = await router.peer(0);
    peer.sendTogether([
      [Op.WRITE, 1, 1, [set('k', 'v1')]],
      [Op.WRITE, 1, 2, [['s', 'k', b('v2'), { get: true }]]],
      [Op.WRITE, 1, 3, [set('x', '1')]],
      [Op.WRITE, 1, 4, [set('y', '1')]],
      [Op.WRITE, 1, 5, [['d', 'nothing']]],
    ]);
    const acks: unknown[][] = [];
    while (acks.reduce((n, m) => n + (m[0] === Op.WRITE_ACKS ? (m[2] as unknown[]).length : 1), 0) < 5) {
      acks.push(await peer.nextMatching((m) => m[0] === Op.WRITE_ACK || m[0] === Op.WRITE_ACKS));
    }
    // The old value could be as big as the value limit: never batched with others into one frame.
    expect(acks).toEqual([
      [Op.WRITE_ACK, 1, [true]],
      [Op.WRITE_ACK, 2, [[true, b('v1')]]],
      [Op.WRITE_ACKS, 3, [[true], [true], [false]]],
    ]);
  });

  test('group-commits the WRITEs of one socket chunk in one store.apply call', async () => {
    const store = new MemoryStore();
    const apply = jest.spyOn(store, 'apply');
    startReplica(store);
    const peer = await router.peer(0);
    peer.sendTogether(Array.from({ length: 5 }, (_, i) => [Op.WRITE, 1, i + 1, [set(`k${i}`, `v${i}`)]]));
    // One frame acknowledges the group: [WRITE_ACKS, first seq, results of each write].
    expect(await peer.next(Op.WRITE_ACKS)).toEqual([Op.WRITE_ACKS, 1, [[true], [true], [true], [true], [true]]]);
    expect(apply).toHaveBeenCalledTimes(1);
    expect(apply.mock.calls[0][0].map((w) => w.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(store.position()).toEqual({ epoch: 1, seq: 5 });
    // A later chunk is a new group.
    peer.send([Op.WRITE, 1, 6, []]);
    expect(await peer.next(Op.WRITE_ACK)).toEqual([Op.WRITE_ACK, 6, []]);
    expect(apply).toHaveBeenCalledTimes(2);
  });

  test('detects a gap in the write stream, disconnects and rejoins with its position', async () => {
    const store = new MemoryStore();
    const r = startReplica(store);
    const peer = await router.peer(0);
    peer.send([Op.WRITE, 1, 1, [set('a', '1')]]);
    await peer.next(Op.WRITE_ACK);
    const disconnected = new Promise((resolve) => r.once('disconnected', resolve));
    peer.send([Op.WRITE, 1, 3, [set('b', '2')]]);
    const err = await peer.next(Op.ERROR);
    expect(err[2]).toBe('PROTOCOL_ERROR');
    expect(String(err[3])).toMatch(/expected seq 2, got 3/);
    await peer.waitClosed();
    await disconnected;
    expect(store.has('b')).toBe(false);
    const again = await router.peer(1);
    expect(again.hello).toEqual({ name: 'r1', epoch: 1, seq: 1, reset: false });
  });

  test('reconnects after the router closes the connection and reports its new position', async () => {
    const store = new MemoryStore();
    const r = startReplica(store);
    const peer = await router.peer(0);
    peer.send([Op.WRITE, 3, 1, [set('a', '1')]]);
    peer.send([Op.WRITE, 3, 2, [set('b', '2')]]);
    await peer.next(Op.WRITE_ACK);
    await peer.next(Op.WRITE_ACK);
    const states: string[] = [];
    r.on('disconnected', () => states.push(r.state));
    peer.conn.close();
    const again = await router.peer(1);
    expect(states).toEqual(['connecting']);
    expect(again.hello).toEqual({ name: 'r1', epoch: 3, seq: 2, reset: false });
    again.send([Op.WRITE, 3, 3, [set('c', '3')]]);
    expect(await again.next(Op.WRITE_ACK)).toEqual([Op.WRITE_ACK, 3, [true]]);
  });

  test('keeps retrying while the router is down (over TCP: connection refused), then joins when it comes up', async () => {
    const tcp = await new FakeRouter('', socketTransport({ host: '127.0.0.1', port: 0 })).start();
    const port = tcp.port;
    await tcp.close();
    const store = new MemoryStore();
    startReplica(store, { host: '127.0.0.1', port });
    await new Promise((r) => setTimeout(r, 200));
    await router.close();
    router = await new FakeRouter('', socketTransport({ host: '127.0.0.1', port })).start();
    const peer = await router.peer(0);
    expect(peer.hello).toMatchObject({ epoch: 0, seq: 0 });
  });

  test("the reconnect backoff is capped at 1000 ms by default, below the router's 2000 ms join window", async () => {
    await router.close();
    const attempts: number[] = [];
    const logger = {
      info: (m: string) => {
        if (m.startsWith('connecting to router')) attempts.push(Date.now());
      },
      warn: () => {},
      error: () => {},
      debug: () => {},
    } as unknown as ReplicaOptions['logger'];
    // Nothing listens on it: every attempt fails at once.
    replica = new Replica({ transport: new InProcessTransport('nobody'), store: new MemoryStore(), name: 'r1', logger });
    replica.start();
    await new Promise((r) => setTimeout(r, 4200));
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]);
    expect(gaps.length).toBeGreaterThanOrEqual(4);
    // It grows towards the cap, and never past it (plus timer slack).
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...gaps)).toBeLessThan(1150);
    router = await new FakeRouter().start();
  });

  test('a wrong secret is logged and retried with backoff, not given up', async () => {
    await router.close();
    router = await new FakeRouter('right').start();
    const lines: string[] = [];
    const logger = linesLogger(lines);
    startReplica(new MemoryStore(), { password: 'wrong', logger });
    const deadline = Date.now() + 5000;
    while (router.helloCount < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(router.helloCount).toBeGreaterThanOrEqual(3);
    expect(router.peers).toHaveLength(0);
    expect(lines.some((l) => /^error .*refused this replica's secret \(attempt 1\)/.test(l))).toBe(true);
    expect(lines.some((l) => l === `info connecting to router at ${router.logName} (attempt 2)`)).toBe(true);
  });

  test('with the right secret it joins', async () => {
    await router.close();
    router = await new FakeRouter('s3cret').start();
    startReplica(new MemoryStore(), { password: 's3cret' });
    const peer = await router.peer(0);
    expect(peer.hello.name).toBe('r1');
  });

  test('--reset wipes the store and asks for a full resync on the first join only', async () => {
    const store = new MemoryStore();
    store.apply([{ epoch: 2, seq: 9, ops: [set('a', '1')] }]);
    startReplica(store, { reset: true });
    const peer = await router.peer(0);
    expect(peer.hello).toEqual({ name: 'r1', epoch: 0, seq: 0, reset: true });
    expect(store.count()).toBe(0);
    peer.conn.close();
    const again = await router.peer(1);
    expect(again.hello.reset).toBe(false);
  });

  test('a store holding data at position (0,0) is wiped before joining', async () => {
    const store = new MemoryStore();
    store.load([
      ['half', b('loaded')],
      ['snap', b('shot')],
    ]);
    startReplica(store);
    const peer = await router.peer(0);
    expect(peer.hello).toMatchObject({ epoch: 0, seq: 0 });
    expect(store.count()).toBe(0);
  });

  test('loads a full resync snapshot as joiner, then applies the writes after it', async () => {
    const store = new MemoryStore();
    store.apply([{ epoch: 1, seq: 50, ops: [set('stale', 'x')] }]);
    const r = startReplica(store);
    const peer = await router.peer(0);
    peer.send([Op.SYNC_START, 'full', 8, 100, { resyncId: 9 }]);
    peer.send([Op.SNAPSHOT_CHUNK, 9, [['a', b('1')], ['b', b('2')]]]);
    expect(await peer.next(Op.SNAPSHOT_ACK)).toEqual([Op.SNAPSHOT_ACK, 9, 1]);
    expect(store.has('stale')).toBe(false);
    expect(store.position()).toEqual({ epoch: 0, seq: 0 });
    peer.send([Op.SNAPSHOT_CHUNK, 9, [['c', b('3')]]]);
    expect(await peer.next(Op.SNAPSHOT_ACK)).toEqual([Op.SNAPSHOT_ACK, 9, 1]);
    peer.send([Op.SNAPSHOT_END, 9, 3]);
    peer.send([Op.WRITE, 8, 101, [['d', 'a']]]);
    expect(await peer.next(Op.WRITE_ACK)).toEqual([Op.WRITE_ACK, 101, [true]]);
    const inSync = new Promise<void>((resolve) => r.once('in-sync', resolve));
    peer.send([Op.SYNC_DONE, 8, 101]);
    await inSync;
    expect(store.position()).toEqual({ epoch: 8, seq: 101 });
    expect(store.scan('', null, 10)).toEqual(['b', 'c']);
  });

  test('a truncated snapshot makes the joiner disconnect and come back empty at (0,0)', async () => {
    const store = new MemoryStore();
    startReplica(store);
    const peer = await router.peer(0);
    peer.send([Op.SYNC_START, 'full', 8, 100, { resyncId: 4 }]);
    peer.send([Op.SNAPSHOT_CHUNK, 4, [['a', b('1')]]]);
    await peer.next(Op.SNAPSHOT_ACK);
    peer.send([Op.SNAPSHOT_END, 4, 2]);
    await peer.waitClosed();
    const again = await router.peer(1);
    expect(again.hello).toMatchObject({ epoch: 0, seq: 0 });
    expect(store.count()).toBe(0);
  });

  test('SNAPSHOT_ABORT as joiner wipes and waits for the next SYNC_START', async () => {
    const store = new MemoryStore();
    startReplica(store);
    const peer = await router.peer(0);
    peer.send([Op.SYNC_START, 'full', 8, 100, { resyncId: 1 }]);
    peer.send([Op.SNAPSHOT_CHUNK, 1, [['a', b('1')]]]);
    await peer.next(Op.SNAPSHOT_ACK);
    peer.send([Op.SNAPSHOT_ABORT, 1, 'source went away']);
    peer.send([Op.SYNC_START, 'full', 8, 120, { resyncId: 2 }]);
    peer.send([Op.SNAPSHOT_CHUNK, 2, [['b', b('2')]]]);
    await peer.next(Op.SNAPSHOT_ACK);
    peer.send([Op.SNAPSHOT_END, 2, 1]);
    peer.send([Op.WRITE, 8, 121, []]);
    expect(await peer.next(Op.WRITE_ACK)).toEqual([Op.WRITE_ACK, 121, []]);
    expect(store.scan('', null, 10)).toEqual(['b']);
    expect(store.position()).toEqual({ epoch: 8, seq: 121 });
    expect(peer.closed).toBe(false);
  });

  describe('a full resync that would move the replica backwards is refused, and the store kept', () => {
    /** A store holding writes up to (5, 200). */
    const holding = (): MemoryStore => {
      const store = new MemoryStore();
      store.apply([{ epoch: 5, seq: 200, ops: [set('mine', 'acked'), set('other', 'x')] }]);
      return store;
    };

    it.each([
      ['a snapshot at a lower seq in a newer epoch', 6, 150],
      ['a snapshot at a lower seq in the same epoch', 5, 199],
      ['an empty source at (0,0)', 0, 0],
      ['the same seq in another epoch (another history)', 6, 200],
    ])('%s', async (_what, epoch, seq) => {
      const store = holding();
      const lines: string[] = [];
      const logger = linesLogger(lines);
      const reset = jest.spyOn(store, 'reset');
      const r = startReplica(store, { logger });
      const peer = await router.peer(0);
      const disconnected = new Promise((resolve) => r.once('disconnected', resolve));
      peer.sendTogether([
        [Op.SYNC_START, 'full', epoch, seq, { resyncId: 3 }],
        [Op.SNAPSHOT_CHUNK, 3, [['theirs', b('1')]]],
        [Op.SNAPSHOT_END, 3, 1],
      ]);
      const abort = await peer.next(Op.SNAPSHOT_ABORT);
      expect(abort[1]).toBe(3);
      expect(String(abort[2])).toMatch(/refused.*epoch 5, seq 200/);
      const err = await peer.next(Op.ERROR);
      expect(err.slice(0, 3)).toEqual([Op.ERROR, 0, 'REPLICA_ERROR']);
      expect(String(err[3])).toMatch(new RegExp(`epoch ${epoch}, seq ${seq}.*epoch 5, seq 200`));
      expect(err[4]).toEqual({
        refused: 'resync-would-discard-writes',
        resyncId: 3,
        replica: { epoch: 5, seq: 200 },
        snapshot: { epoch, seq },
      });
      await peer.waitClosed();
      await disconnected;
      expect(peer.messages.filter((m) => m[0] === Op.SNAPSHOT_ACK)).toHaveLength(0);
      // Nothing wiped, nothing loaded: data and position as before.
      expect(reset).not.toHaveBeenCalled();
      expect(store.position()).toEqual({ epoch: 5, seq: 200 });
      expect(store.scan('', null, 10)).toEqual(['mine', 'other']);
      expect(lines.some((l) => /^error refusing full resync 3: .*epoch 5, seq 200/.test(l))).toBe(true);
      // It comes back with the same position.
      const again = await router.peer(1);
      expect(again.hello).toEqual({ name: 'r1', epoch: 5, seq: 200, reset: false });
    });

    test('a snapshot at the same position, or ahead, is loaded as before', async () => {
      const store = holding();
      startReplica(store);
      const peer = await router.peer(0);
      peer.send([Op.SYNC_START, 'full', 5, 200, { resyncId: 4 }]);
      peer.send([Op.SNAPSHOT_CHUNK, 4, [['mine', b('acked')], ['other', b('x')]]]);
      await peer.next(Op.SNAPSHOT_ACK);
      peer.send([Op.SNAPSHOT_END, 4, 2]);
      peer.send([Op.WRITE, 5, 201, []]);
      expect(await peer.next(Op.WRITE_ACK)).toEqual([Op.WRITE_ACK, 201, []]);
      expect(store.position()).toEqual({ epoch: 5, seq: 201 });
      expect(peer.closed).toBe(false);
    });

    test('a resync that replaces an accepted one may not go below what the store held before it', async () => {
      const store = holding();
      startReplica(store);
      const peer = await router.peer(0);
      peer.send([Op.SYNC_START, 'full', 6, 300, { resyncId: 5 }]);
      peer.send([Op.SNAPSHOT_CHUNK, 5, [['a', b('1')]]]);
      await peer.next(Op.SNAPSHOT_ACK);
      // The store is now a partial snapshot at (0,0); a replacement must still be at seq 200 or later.
      peer.send([Op.SYNC_START, 'full', 6, 150, { resyncId: 6 }]);
      const abort = await peer.next(Op.SNAPSHOT_ABORT);
      expect(abort[1]).toBe(6);
      expect((await peer.next(Op.ERROR))[4]).toMatchObject({ replica: { epoch: 5, seq: 200 }, snapshot: { epoch: 6, seq: 150 } });
      await peer.waitClosed();
    });

    test('over a SQLite store, the file keeps its data and position', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvndb-replica-'));
      try {
        const file = path.join(dir, 'r.db');
        const store = new SqliteStore(file);
        store.apply([{ epoch: 5, seq: 200, ops: [set('mine', 'acked')] }]);
        const r = startReplica(store);
        const peer = await router.peer(0);
        peer.send([Op.SYNC_START, 'full', 6, 0, { resyncId: 1 }]);
        await peer.next(Op.SNAPSHOT_ABORT);
        await peer.waitClosed();
        await router.peer(1);
        await r.stop();
        replica = null;
        const reopened = new SqliteStore(file);
        try {
          expect(reopened.position()).toEqual({ epoch: 5, seq: 200 });
          expect(reopened.get('mine')).toEqual(b('acked'));
        } finally {
          reopened.close();
        }
      } finally {
        await replica?.stop();
        replica = null;
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  test('wouldDiscardWrites: only a lower seq, or the same seq in another epoch, of a store holding writes', () => {
    expect(wouldDiscardWrites({ epoch: 0, seq: 0 }, 0, 0)).toBe(false);
    expect(wouldDiscardWrites({ epoch: 5, seq: 10 }, 5, 10)).toBe(false);
    expect(wouldDiscardWrites({ epoch: 5, seq: 10 }, 6, 11)).toBe(false);
    expect(wouldDiscardWrites({ epoch: 5, seq: 10 }, 5, 9)).toBe(true);
    expect(wouldDiscardWrites({ epoch: 5, seq: 10 }, 9, 9)).toBe(true);
    expect(wouldDiscardWrites({ epoch: 5, seq: 10 }, 6, 10)).toBe(true);
    expect(wouldDiscardWrites({ epoch: 5, seq: 10 }, 0, 0)).toBe(true);
  });

  test('streams a consistent snapshot as source with credit flow control while serving writes and reads', async () => {
    const store = new MemoryStore();
    const N = 5000;
    store.apply([{ epoch: 2, seq: 10, ops: Array.from({ length: N }, (_, i) => set(`k${String(i).padStart(5, '0')}`, `v${i}`)) }]);
    startReplica(store);
    const peer = await router.peer(0);
    peer.send([Op.SNAPSHOT_REQUEST, 77, 2, 10, 1]);
    const got = new Map<string, string>();
    const first = await peer.next(Op.SNAPSHOT_CHUNK);
    expect(first[1]).toBe(77);
    for (const [k, v] of first[2] as Array<[string, Buffer]>) got.set(k, v.toString());
    // Window 1: nothing more until a credit arrives, but writes and reads are served meanwhile.
    peer.send([Op.WRITE, 2, 11, [set('k00000', 'changed'), set('k04999', 'changed'), ['d', 'k03000'], set('new', 'n')]]);
    expect(await peer.next(Op.WRITE_ACK)).toEqual([Op.WRITE_ACK, 11, [true, true, true, true]]);
    expect(await peer.request(Op.GET, 'k04999')).toEqual([Op.RESULT, expect.any(Number), b('changed')]);
    await new Promise((r) => setTimeout(r, 50));
    expect(peer.messages.filter((m) => m[0] === Op.SNAPSHOT_CHUNK)).toHaveLength(0);
    let chunks = 1;
    let end: unknown[] | null = null;
    while (!end) {
      peer.send([Op.SNAPSHOT_CREDIT, 77, 1]);
      const msg = await peer.nextMatching((m) => m[0] === Op.SNAPSHOT_CHUNK || m[0] === Op.SNAPSHOT_END);
      if (msg[0] === Op.SNAPSHOT_END) end = msg;
      else {
        chunks++;
        for (const [k, v] of msg[2] as Array<[string, Buffer]>) got.set(k, v.toString());
      }
    }
    expect(end).toEqual([Op.SNAPSHOT_END, 77, N]);
    expect(chunks).toBeGreaterThanOrEqual(3);
    expect(got.size).toBe(N);
    expect(got.get('k00000')).toBe('v0');
    expect(got.get('k04999')).toBe('v4999');
    expect(got.get('k03000')).toBe('v3000');
    expect(got.has('new')).toBe(false);
    // Late credits for a finished stream are harmless.
    peer.send([Op.SNAPSHOT_CREDIT, 77, 1]);
    expect(await peer.request(Op.HAS, 'new')).toEqual([Op.RESULT, expect.any(Number), true]);
  });

  test('a snapshot request is taken after every earlier write, and can be aborted', async () => {
    const store = new MemoryStore();
    store.apply([{ epoch: 2, seq: 1, ops: Array.from({ length: 4500 }, (_, i) => set(`k${i}`, 'v')) }]);
    startReplica(store);
    const peer = await router.peer(0);
    // WRITE 2 and the request for a snapshot at 2 in one chunk: the snapshot must include WRITE 2.
    peer.sendTogether([
      [Op.WRITE, 2, 2, [set('during', 'yes')]],
      [Op.SNAPSHOT_REQUEST, 5, 2, 2, 1],
      [Op.SNAPSHOT_REQUEST, 6, 2, 1, 4], // wrong position: refused
    ]);
    const refused = await peer.next(Op.SNAPSHOT_ABORT);
    expect(refused[1]).toBe(6);
    const chunk = await peer.next(Op.SNAPSHOT_CHUNK);
    expect(chunk[1]).toBe(5);
    peer.send([Op.SNAPSHOT_ABORT, 5, 'joiner went away']);
    peer.send([Op.SNAPSHOT_CREDIT, 5, 10]);
    await new Promise((r) => setTimeout(r, 50));
    expect(peer.messages.filter((m) => m[0] === Op.SNAPSHOT_CHUNK || m[0] === Op.SNAPSHOT_END)).toHaveLength(0);
    // A fresh request streams everything, including the write before it.
    peer.send([Op.SNAPSHOT_REQUEST, 7, 2, 2, 100]);
    const keys = new Set<string>();
    for (;;) {
      const msg = await peer.nextMatching((m) => m[1] === 7 && (m[0] === Op.SNAPSHOT_CHUNK || m[0] === Op.SNAPSHOT_END));
      if (msg[0] === Op.SNAPSHOT_END) {
        expect(msg[2]).toBe(4501);
        break;
      }
      for (const [k] of msg[2] as Array<[string, Buffer]>) keys.add(k);
    }
    expect(keys.size).toBe(4501);
    expect(keys.has('during')).toBe(true);
  });

  test('several snapshots can stream at once', async () => {
    const store = new MemoryStore();
    store.apply([{ epoch: 2, seq: 1, ops: Array.from({ length: 4100 }, (_, i) => set(`k${i}`, 'v')) }]);
    startReplica(store);
    const peer = await router.peer(0);
    peer.send([Op.SNAPSHOT_REQUEST, 1, 2, 1, 100]);
    peer.send([Op.SNAPSHOT_REQUEST, 2, 2, 1, 100]);
    const ends = await Promise.all([
      peer.nextMatching((m) => m[0] === Op.SNAPSHOT_END && m[1] === 1),
      peer.nextMatching((m) => m[0] === Op.SNAPSHOT_END && m[1] === 2),
    ]);
    expect(ends).toEqual([
      [Op.SNAPSHOT_END, 1, 4100],
      [Op.SNAPSHOT_END, 2, 4100],
    ]);
    const chunks = peer.messages.filter((m) => m[0] === Op.SNAPSHOT_CHUNK);
    for (const id of [1, 2]) {
      const mine = chunks.filter((m) => m[1] === id);
      expect(mine.reduce((n, m) => n + (m[2] as unknown[]).length, 0)).toBe(4100);
    }
  });

  test('an unknown message makes the replica disconnect (and rejoin)', async () => {
    startReplica(new MemoryStore());
    const peer = await router.peer(0);
    peer.send([Op.SET, 1, 'k', b('v'), null]);
    const err = await peer.next(Op.ERROR);
    expect(err[2]).toBe('PROTOCOL_ERROR');
    await peer.waitClosed();
    await router.peer(1);
  });

  test('a malformed op in a WRITE is not half-applied; the replica disconnects', async () => {
    const store = new MemoryStore();
    startReplica(store);
    const peer = await router.peer(0);
    peer.send([Op.WRITE, 1, 1, [set('a', '1'), ['s', 'b', 'not bytes']]]);
    const err = await peer.next(Op.ERROR);
    expect(err[2]).toBe('REPLICA_ERROR');
    await peer.waitClosed();
    expect(store.has('a')).toBe(false);
    const again = await router.peer(1);
    expect(again.hello).toMatchObject({ seq: 0 });
  });

  test('stop() disconnects, stops retrying and closes the store', async () => {
    const store = new MemoryStore();
    const close = jest.spyOn(store, 'close');
    const r = startReplica(store);
    const peer = await router.peer(0);
    await r.stop();
    expect(r.state).toBe('stopped');
    expect(close).toHaveBeenCalledTimes(1);
    await peer.waitClosed();
    await new Promise((res) => setTimeout(res, 150));
    expect(router.helloCount).toBe(1);
    await r.stop(); // idempotent
  });

  test('works end to end over a SQLite store (writes persisted, position reported on rejoin)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvndb-replica-'));
    try {
      const file = path.join(dir, 'r.db');
      const r = startReplica(new SqliteStore(file));
      const peer = await router.peer(0);
      peer.sendTogether([
        [Op.WRITE, 4, 1, [set('a', '1')]],
        [Op.WRITE, 4, 2, [set('b', '2'), ['s', 'a', b('x'), { xx: true, get: true }]]],
      ]);
      await peer.next(Op.WRITE_ACK);
      expect(await peer.next(Op.WRITE_ACK)).toEqual([Op.WRITE_ACK, 2, [true, [true, b('1')]]]);
      await r.stop();
      replica = null;
      const reopened = new SqliteStore(file);
      expect(reopened.position()).toEqual({ epoch: 4, seq: 2 });
      startReplica(reopened);
      const again = await router.peer(1);
      expect(again.hello).toMatchObject({ epoch: 4, seq: 2 });
      expect(await again.request(Op.GET, 'a')).toEqual([Op.RESULT, expect.any(Number), b('x')]);
    } finally {
      await replica?.stop();
      replica = null;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
