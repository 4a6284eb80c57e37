import net from 'node:net';
import { once } from 'node:events';
import {
  AuthError,
  ConnectionClosedError,
  ErrorCode,
  FramedConnection,
  KvndbError,
  NoReplicasError,
  Op,
  PROTOCOL_VERSION,
  TimeoutError,
  TooLargeError,
  VersionMismatchError,
  compareKeys,
  makeNonce,
  verifyProof,
} from '@kvndb/shared';
import { KvndbClient, connect, type ConnectOptions } from './index';

type Msg = unknown[];
/** Return true when the request was handled (answered now or kept to answer later). */
type Handler = (msg: Msg, peer: FakePeer) => boolean;

interface FakePeer {
  conn: FramedConnection;
  result(id: number, value: unknown): void;
  error(id: number, code: string, message: string, details?: unknown): void;
}

/**
 * A scripted router: real sockets on 127.0.0.1, the real handshake (CHALLENGE, verifyProof,
 * WELCOME) and a small in-memory store. Tests override `handler` to hold, reorder or fail
 * requests, set `refuse` to turn connections away, and drop connections at will.
 */
class FakeRouter {
  server!: net.Server;
  port = 0;
  password = '';
  /** The protocol version this router speaks. */
  version = PROTOCOL_VERSION;
  /** Close new connections at once (the router is "down" but the port stays ours). */
  refuse = false;
  welcome: Record<string, unknown> = {};
  readonly store = new Map<string, Buffer>();
  readonly received: Msg[] = [];
  readonly peers = new Set<FakePeer>();
  handshakes = 0;
  handler: Handler = () => false;

  async start(): Promise<this> {
    this.server = net.createServer((socket) => this.accept(socket));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  dropAll(): void {
    for (const p of this.peers) p.conn.close();
    this.peers.clear();
  }

  options(extra: ConnectOptions = {}): ConnectOptions {
    return { port: this.port, password: '', maxReconnectDelayMs: 50, ...extra };
  }

  async waitForReceived(n: number): Promise<void> {
    while (this.received.length < n) await new Promise((r) => setTimeout(r, 2));
  }

  private accept(socket: net.Socket): void {
    if (this.refuse) {
      socket.destroy();
      return;
    }
    const conn = new FramedConnection(socket);
    const peer: FakePeer = {
      conn,
      result: (id, value) => conn.send([Op.RESULT, id, value]),
      error: (id, code, message, details) => conn.send([Op.ERROR, id, code, message, details ?? null]),
    };
    let nonce: Buffer | null = null;
    let ready = false;
    conn.on('close', () => this.peers.delete(peer));
    conn.onMessage = (raw) => {
      const msg = raw as Msg;
      if (!ready) {
        if (msg[0] === Op.HELLO) {
          if (msg[1] !== this.version) {
            conn.sendErrorAndClose(KvndbError.versionMismatch(this.version, msg[1]));
            return;
          }
          nonce = makeNonce();
          conn.send([Op.CHALLENGE, this.version, nonce]);
        } else if (msg[0] === Op.AUTH && nonce) {
          if (this.password && !verifyProof(this.password, 'client', nonce, msg[1])) {
            conn.sendErrorAndClose(KvndbError.authFailed());
            return;
          }
          ready = true;
          this.handshakes++;
          this.peers.add(peer);
          conn.send([
            Op.WELCOME,
            { version: '0.1.0', epoch: 1, seq: 0, maxFrameBytes: 1 << 20, maxKeyBytes: 1024, maxValueBytes: 4096, ...this.welcome },
          ]);
        } else {
          conn.sendErrorAndClose(KvndbError.protocol('bad handshake'));
        }
        return;
      }
      this.received.push(msg);
      if (!this.handler(msg, peer)) this.serve(msg, peer);
    };
  }

  /** The store's answer to a request, as the real router would give it. */
  answer(msg: Msg): unknown {
    const copy = (v: Uint8Array) => Buffer.from(v);
    const setOne = (key: string, value: Uint8Array, flags: { nx?: boolean; xx?: boolean; get?: boolean } | null) => {
      const prev = this.store.get(key) ?? null;
      const applied = !((flags?.nx && prev) || (flags?.xx && !prev));
      if (applied) this.store.set(key, copy(value));
      return flags?.get ? [applied, prev] : applied;
    };
    switch (msg[0]) {
      case Op.PING:
        return 'PONG';
      case Op.GET:
        return this.store.get(msg[2] as string) ?? null;
      case Op.HAS:
        return this.store.has(msg[2] as string);
      case Op.MGET:
        return (msg[2] as string[]).map((k) => this.store.get(k) ?? null);
      case Op.KEYS: {
        const [prefix, limit, cursor] = msg.slice(2) as [string, number, string | null];
        const all = [...this.store.keys()]
          .filter((k) => k.startsWith(prefix) && (cursor === null || compareKeys(k, cursor) > 0))
          .sort(compareKeys);
        const page = all.slice(0, limit);
        return [page, all.length > limit ? page[page.length - 1] : null];
      }
      case Op.SET:
        return setOne(msg[2] as string, msg[3] as Uint8Array, msg[4] as never);
      case Op.DEL:
        return this.store.delete(msg[2] as string);
      case Op.MSET:
        for (const [k, v] of msg[2] as [string, Uint8Array][]) this.store.set(k, copy(v));
        return null;
      case Op.BATCH:
        return (msg[2] as unknown[][]).map((op) =>
          op[0] === 's' ? setOne(op[1] as string, op[2] as Uint8Array, null) : this.store.delete(op[1] as string),
        );
      case Op.STATUS:
        return { version: '0.1.0', protocol: 1, epoch: 1, seq: 7, replicas: [], clients: 1 };
      default:
        throw new Error(`fake router: unexpected ${String(msg[0])}`);
    }
  }

  serve(msg: Msg, peer: FakePeer): void {
    peer.result(msg[1] as number, this.answer(msg));
  }
}

let router: FakeRouter;
const clients: KvndbClient[] = [];

async function open(extra: ConnectOptions = {}): Promise<KvndbClient> {
  const c = await connect(router.options(extra));
  clients.push(c);
  return c;
}

async function rejection(p: Promise<unknown>): Promise<KvndbError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(KvndbError);
    return err as KvndbError;
  }
  throw new Error('expected the promise to reject');
}

beforeEach(async () => {
  router = await new FakeRouter().start();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await router.stop();
});

describe('commands', () => {
  test('every command maps to its wire message and its answer to the promised value', async () => {
    const c = await open({ name: 'tester' });
    expect(c.connected).toBe(true);
    expect(c.endpoint).toBe(`127.0.0.1:${router.port}`);

    expect(await c.set('a', 'alpha')).toBe(true);
    const setMsg = router.received[0];
    expect(setMsg[0]).toBe(Op.SET);
    expect(setMsg[2]).toBe('a');
    expect(Buffer.isBuffer(setMsg[3]) && (setMsg[3] as Buffer).toString()).toBe('alpha');
    expect(setMsg[4]).toBeNull();

    expect(await c.get('a')).toBe('alpha');
    expect(await c.get('missing')).toBeNull();
    const bin = Buffer.from([0, 255, 1, 128]);
    expect(await c.set('b', new Uint8Array(bin))).toBe(true);
    expect(await c.getBuffer('b')).toEqual(bin);
    expect(await c.getBuffer('missing')).toBeNull();

    expect(await c.set('a', 'x', { nx: true })).toBe(false);
    expect(router.received[router.received.length - 1][4]).toEqual({ nx: true });
    expect(await c.set('new', 'x', { xx: true })).toBe(false);
    expect(await c.has('new')).toBe(false);
    expect((await c.setGet('a', 'beta'))?.toString()).toBe('alpha');
    expect(router.received[router.received.length - 1][4]).toEqual({ get: true });
    expect(await c.setGet('fresh', 'v')).toBeNull();

    expect(await c.has('a')).toBe(true);
    expect(await c.del('a')).toBe(true);
    expect(await c.del('a')).toBe(false);

    await c.mset({ m1: 'one', m2: Buffer.from('two') });
    await c.mset([['m3', 'three']]);
    expect(router.received[router.received.length - 1]).toEqual([Op.MSET, expect.any(Number), [['m3', Buffer.from('three')]]]);
    expect(await c.mget(['m1', 'nope', 'm3'])).toEqual(['one', null, 'three']);
    expect(await c.mgetBuffer(['m2', 'nope'])).toEqual([Buffer.from('two'), null]);
    expect(await c.mget([])).toEqual([]);

    const results = await c.batch([
      { op: 'set', key: 'b1', value: 'v1' },
      { op: 'del', key: 'm1' },
      { op: 'del', key: 'never' },
    ]);
    expect(results).toEqual([true, true, false]);
    expect(router.received[router.received.length - 1][2]).toEqual([
      ['s', 'b1', Buffer.from('v1')],
      ['d', 'm1'],
      ['d', 'never'],
    ]);

    await expect(c.ping()).resolves.toBeUndefined();
    expect((await c.status()).seq).toBe(7);

    // Ids are positive, increasing integers.
    const ids = router.received.map((m) => m[1] as number);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);
    expect(ids[0]).toBeGreaterThan(0);
  });

  test('keys pages with a cursor and scanKeys walks every page', async () => {
    const c = await open();
    const names = ['k:a', 'k:b', 'k:c', 'k:d', 'k:e', 'other', 'k:\u{1F600}', 'k:\uFFFF'];
    await c.mset(names.map((k) => [k, 'v'] as [string, string]));

    const first = await c.keys('k:', { limit: 2 });
    expect(first).toEqual({ keys: ['k:a', 'k:b'], cursor: 'k:b' });
    expect(router.received[router.received.length - 1]).toEqual([Op.KEYS, expect.any(Number), 'k:', 2, null]);
    const second = await c.keys('k:', { limit: 2, cursor: first.cursor });
    expect(second.keys).toEqual(['k:c', 'k:d']);

    const all: string[] = [];
    for await (const k of c.scanKeys('k:', { pageSize: 3 })) all.push(k);
    expect(all).toEqual(['k:a', 'k:b', 'k:c', 'k:d', 'k:e', 'k:\uFFFF', 'k:\u{1F600}']);
    expect((await c.keys()).keys).toHaveLength(names.length);
  });

  test('a 1000-request pipeline answered in shuffled order matches every answer to its request', async () => {
    const c = await open();
    const held: [Msg, FakePeer][] = [];
    router.handler = (msg, peer) => {
      held.push([msg, peer]);
      if (held.length === 1000) {
        // Answer in a scrambled order: reversed, interleaved odd/even.
        const order = held.map((_, i) => i).reverse();
        const scrambled = [...order.filter((i) => i % 2 === 1), ...order.filter((i) => i % 2 === 0)];
        for (const i of scrambled) {
          const [m, p] = held[i];
          p.result(m[1] as number, Buffer.from(`value-of-${String(m[2])}`));
        }
      }
      return true;
    };
    let dataEvents = 0;
    router.peers.forEach((p) => p.conn.stream.on('data', () => dataEvents++));
    const answers = await Promise.all(Array.from({ length: 1000 }, (_, i) => c.get(`key-${i}`)));
    answers.forEach((v, i) => expect(v).toBe(`value-of-key-${i}`));
    // Pipelined: sent in one tick, so far fewer socket reads than requests.
    expect(dataEvents).toBeLessThan(50);
    expect(new Set(held.map(([m]) => m[1])).size).toBe(1000);
  });
});

describe('errors', () => {
  test('a request that is not answered in time fails with TIMEOUT naming the op; the late answer is ignored', async () => {
    const c = await open({ requestTimeoutMs: 100 });
    let slow: [Msg, FakePeer] | null = null;
    router.handler = (msg, peer) => {
      if (msg[2] === 'slow') {
        slow = [msg, peer];
        return true;
      }
      return false;
    };
    const started = Date.now();
    const err = await rejection(c.get('slow'));
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.code).toBe(ErrorCode.TIMEOUT);
    expect(err.message).toMatch(/GET/);
    expect(err.remote).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);

    // The late answer arrives; it must not be delivered to anything else.
    const [msg, peer] = slow!;
    peer.result(msg[1] as number, Buffer.from('late'));
    await c.set('x', 'fresh');
    expect(await c.get('x')).toBe('fresh');
    expect(c.connected).toBe(true);
  });

  test('server error codes become typed errors with remote = true', async () => {
    const c = await open();
    const cases: Record<string, [string, unknown]> = {
      nr: [ErrorCode.NO_REPLICAS, null],
      big: [ErrorCode.TOO_LARGE, { size: 10, limit: 5 }],
      slow: [ErrorCode.TIMEOUT, { applied: 1, required: 2 }],
      bad: [ErrorCode.BAD_REQUEST, null],
      busy: [ErrorCode.TOO_MANY_REQUESTS, null],
    };
    router.handler = (msg, peer) => {
      const [code, details] = cases[msg[2] as string];
      peer.error(msg[1] as number, code, `router says ${code}`, details);
      return true;
    };
    const nr = await rejection(c.get('nr'));
    expect(nr).toBeInstanceOf(NoReplicasError);
    expect(nr.remote).toBe(true);
    expect(nr.message).toBe('router says NO_REPLICAS');
    const big = await rejection(c.get('big'));
    expect(big).toBeInstanceOf(TooLargeError);
    expect(big.details).toEqual({ size: 10, limit: 5 });
    const slow = await rejection(c.set('slow', 'v'));
    expect(slow).toBeInstanceOf(TimeoutError);
    expect(slow.details).toEqual({ applied: 1, required: 2 });
    const bad = await rejection(c.del('bad'));
    expect(bad.code).toBe(ErrorCode.BAD_REQUEST);
    expect((await rejection(c.has('busy'))).code).toBe(ErrorCode.TOO_MANY_REQUESTS);
    expect(c.connected).toBe(true);
  });

  test('wrong or missing password: connect rejects with AUTH_FAILED and does not retry', async () => {
    router.password = 'secret';
    const wrong = await rejection(connect(router.options({ password: 'nope' })));
    expect(wrong).toBeInstanceOf(AuthError);
    expect(wrong.code).toBe(ErrorCode.AUTH_FAILED);
    expect(wrong.remote).toBe(true);
    const saved = process.env.KVNDB_PASSWORD;
    delete process.env.KVNDB_PASSWORD;
    try {
      expect((await rejection(connect({ port: router.port }))).code).toBe(ErrorCode.AUTH_FAILED);
      process.env.KVNDB_PASSWORD = 'secret';
      const viaEnv = await connect({ port: router.port });
      clients.push(viaEnv);
      await viaEnv.ping();
    } finally {
      if (saved === undefined) delete process.env.KVNDB_PASSWORD;
      else process.env.KVNDB_PASSWORD = saved;
    }
    expect(router.handshakes).toBe(1);
    const right = await open({ password: 'secret' });
    await right.ping();
  });

  test('a router speaking another protocol version: VERSION_MISMATCH naming both versions', async () => {
    router.version = 2;
    const err = await rejection(connect(router.options()));
    expect(err).toBeInstanceOf(VersionMismatchError);
    expect(err.code).toBe(ErrorCode.VERSION_MISMATCH);
    expect(err.message).toMatch(/version 2/);
    expect(err.message).toMatch(/version 1/);
  });

  test('nothing listening: connect rejects with CONNECTION_CLOSED', async () => {
    const port = router.port;
    await router.stop();
    router = await new FakeRouter().start(); // for afterEach
    const err = await rejection(connect({ port, reconnect: true }));
    expect(err).toBeInstanceOf(ConnectionClosedError);
  });

  test('arguments are checked locally, without a round trip', async () => {
    const c = await open(); // fake WELCOME: maxKeyBytes 1024, maxValueBytes 4096
    const bad = async (p: Promise<unknown>, code: string) => expect((await rejection(p)).code).toBe(code);
    await bad(c.get(''), ErrorCode.BAD_REQUEST);
    await bad(c.get(42 as unknown as string), ErrorCode.BAD_REQUEST);
    await bad(c.get('k'.repeat(1025)), ErrorCode.TOO_LARGE);
    await bad(c.set('k', 'v'.repeat(4097)), ErrorCode.TOO_LARGE);
    await bad(c.set('k', 17 as unknown as string), ErrorCode.BAD_REQUEST);
    await bad(c.set('k', 'v', { nx: true, xx: true }), ErrorCode.BAD_REQUEST);
    await bad(c.set('k', 'v', { get: true }), ErrorCode.BAD_REQUEST);
    await bad(c.del(''), ErrorCode.BAD_REQUEST);
    await bad(c.has(undefined as unknown as string), ErrorCode.BAD_REQUEST);
    await bad(c.mget(['ok', '']), ErrorCode.BAD_REQUEST);
    await bad(c.mget('abc' as unknown as string[]), ErrorCode.BAD_REQUEST);
    await bad(c.mset([['k', null as unknown as string]]), ErrorCode.BAD_REQUEST);
    await bad(c.batch([{ op: 'nope' } as never]), ErrorCode.BAD_REQUEST);
    await bad(c.keys('p', { limit: 0 }), ErrorCode.BAD_REQUEST);
    await bad(c.keys('p', { limit: 10001 }), ErrorCode.BAD_REQUEST);
    await bad(c.keys('p', { cursor: 5 as unknown as string }), ErrorCode.BAD_REQUEST);
    // A message over the router's frame limit (1 MiB here) is refused before it is sent.
    const many = Array.from({ length: 300 }, (_, i) => [`k${i}`, 'v'.repeat(4000)] as [string, string]);
    await bad(c.mset(many), ErrorCode.TOO_LARGE);
    expect(router.received).toHaveLength(0);
    expect(() => new KvndbClient({ port: 70000 })).toThrow(KvndbError);
  });

  test('a router that sends garbage after the handshake is a lost connection with PROTOCOL_ERROR', async () => {
    const c = await open({ reconnect: false });
    const disconnected = once(c, 'disconnect');
    router.handler = (msg, peer) => {
      peer.conn.send(['not', 'an', 'opcode']);
      return true;
    };
    const err = await rejection(c.get('a'));
    expect(err).toBeInstanceOf(ConnectionClosedError);
    const [cause] = (await disconnected) as [KvndbError];
    expect(cause.code).toBe(ErrorCode.PROTOCOL_ERROR);
    expect(c.connected).toBe(false);
  });
});

describe('reconnecting', () => {
  test('after the router drops the socket: reads are re-sent, writes fail, queued requests go out on reconnect', async () => {
    const c = await open();
    await c.set('r', 'read-me');
    router.handler = () => true; // hold everything
    const read = c.get('r');
    const write = c.set('w', 'maybe');
    await router.waitForReceived(3);

    const events: string[] = [];
    c.on('disconnect', () => events.push('disconnect'));
    c.on('reconnecting', (info: { attempt: number; delayMs: number }) => events.push(`reconnecting ${info.attempt}`));
    c.on('connect', () => events.push('connect'));
    router.refuse = true;
    router.handler = () => false;
    router.dropAll();

    const writeErr = await rejection(write);
    expect(writeErr).toBeInstanceOf(ConnectionClosedError);
    expect(writeErr.message).toMatch(/may or may not have been applied/);
    expect(c.connected).toBe(false);

    // Queued while disconnected, sent after reconnect.
    const queued = c.get('r');
    const queuedWrite = c.set('q', 'queued');
    // Let a few attempts be turned away first.
    while (events.filter((e) => e.startsWith('reconnecting')).length < 3) await new Promise((r) => setTimeout(r, 5));
    expect(c.connected).toBe(false);
    router.refuse = false;

    expect(await read).toBe('read-me');
    expect(await queued).toBe('read-me');
    expect(await queuedWrite).toBe(true);
    expect(router.store.get('q')?.toString()).toBe('queued');
    expect(router.store.has('w')).toBe(false);
    expect(c.connected).toBe(true);
    expect(events[0]).toBe('disconnect');
    expect(events[1]).toBe('reconnecting 1');
    expect(events[events.length - 1]).toBe('connect');
    // The re-sent read kept its place ahead of the queued requests.
    const afterDrop = router.received.slice(3).map((m) => m[0]);
    expect(afterDrop).toEqual([Op.GET, Op.GET, Op.SET]);
  });

  test('requests waiting for a connection are bounded by maxQueued and by their timeout', async () => {
    const c = await open({ maxQueued: 3, requestTimeoutMs: 300 });
    router.refuse = true;
    const disconnected = once(c, 'disconnect');
    router.dropAll();
    await disconnected;
    const waiting = [c.get('a'), c.get('b'), c.ping()];
    const full = await rejection(c.get('d'));
    expect(full.code).toBe(ErrorCode.TOO_MANY_REQUESTS);
    for (const p of waiting) {
      const err = await rejection(p);
      expect(err).toBeInstanceOf(TimeoutError);
      expect(err.message).toMatch(/waiting for a connection/);
    }
    // Timed-out requests free their places.
    const again = c.get('e');
    router.refuse = false;
    expect(await again).toBeNull();
  });

  test('with reconnect: false everything in flight fails and new requests fail at once', async () => {
    const c = await open({ reconnect: false });
    router.handler = () => true;
    const read = c.get('a');
    await router.waitForReceived(1);
    router.dropAll();
    expect(await rejection(read)).toBeInstanceOf(ConnectionClosedError);
    expect(c.connected).toBe(false);
    expect(await rejection(c.get('b'))).toBeInstanceOf(ConnectionClosedError);
  });

  test('a connection-level ERROR closes the connection with that error and the client reconnects', async () => {
    const c = await open();
    const disconnected = once(c, 'disconnect');
    const reconnected = once(c, 'connect');
    router.peers.forEach((p) => p.error(0, ErrorCode.SHUTTING_DOWN, 'router is stopping'));
    const [cause] = (await disconnected) as [KvndbError];
    expect(cause.code).toBe(ErrorCode.SHUTTING_DOWN);
    expect(cause.remote).toBe(true);
    await reconnected;
    expect(router.handshakes).toBe(2);
    await c.ping();
  });

  test('AUTH_FAILED on a reconnect stops reconnecting and fails everything with it', async () => {
    const c = await open();
    const errors: KvndbError[] = [];
    c.on('error', (e: KvndbError) => errors.push(e));
    router.handler = () => true;
    const read = c.get('a');
    await router.waitForReceived(1);
    router.password = 'changed';
    router.dropAll();
    const err = await rejection(read);
    expect(err).toBeInstanceOf(AuthError);
    expect(errors).toHaveLength(1);
    expect(errors[0].code).toBe(ErrorCode.AUTH_FAILED);
    expect((await rejection(c.get('b'))).code).toBe(ErrorCode.AUTH_FAILED);
    const handshakesSoFar = router.handshakes;
    await new Promise((r) => setTimeout(r, 150));
    expect(router.handshakes).toBe(handshakesSoFar);
    expect(router.peers.size).toBe(0);
  });
});

describe('close', () => {
  test('close() fails requests in flight and waiting with CONNECTION_CLOSED and is idempotent', async () => {
    const c = await open();
    router.handler = () => true;
    const pending = [c.get('a'), c.set('b', 'v'), c.ping()];
    await router.waitForReceived(3);
    await c.close();
    for (const p of pending) {
      const err = await rejection(p);
      expect(err).toBeInstanceOf(ConnectionClosedError);
      expect(err.message).toBe('client closed');
    }
    expect(c.connected).toBe(false);
    expect((await rejection(c.get('a'))).message).toBe('client closed');
    await c.close();
  });

  test('close() leaves no timers or sockets behind', async () => {
    const count = (kind: string) => process.getActiveResourcesInfo().filter((r) => r === kind).length;
    const socketsBefore = count('TCPSocketWrap');
    const c = await connect(router.options({ requestTimeoutMs: 5000 }));
    router.handler = () => true;
    const timersBefore = count('Timeout');
    const pending = c.get('held');
    expect(count('Timeout')).toBe(timersBefore + 1); // the request timeout is armed
    await router.waitForReceived(1);
    await c.close();
    await expect(pending).rejects.toThrow('client closed');
    expect(count('Timeout')).toBeLessThanOrEqual(timersBefore);
    router.dropAll();
    await new Promise((r) => setImmediate(r));
    expect(count('TCPSocketWrap')).toBe(socketsBefore);
  });

  test('close() while reconnecting stops the loop and fails the queue', async () => {
    const c = await open();
    router.refuse = true;
    const disconnected = once(c, 'disconnect');
    router.dropAll();
    await disconnected;
    const queued = c.get('a');
    await new Promise((r) => setTimeout(r, 60));
    await c.close();
    expect((await rejection(queued)).message).toBe('client closed');
    const seen = router.handshakes;
    router.refuse = false;
    await new Promise((r) => setTimeout(r, 150));
    expect(router.handshakes).toBe(seen);
  });
});
