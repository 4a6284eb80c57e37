/**
 * A fake router for the replica's tests: the handshake (real HMAC check), a message queue
 * per connection, and useReplicaLink(), which gives each test a fresh fake router on an
 * in-process transport and stops the replica it started. Test code only (not built).
 */
import {
  FramedConnection,
  InProcessTransport,
  Op,
  PROTOCOL_VERSION,
  encodeFrame,
  makeNonce,
  verifyProof,
  KvndbError,
  type Link,
  type Listener,
  type Transport,
  type WriteOp,
} from '@kvndb/shared';
import { Replica, type ReplicaOptions } from '../replica';
import type { Store } from '../store/store';

/** A router-side connection in the fake router, after the handshake. */
export class FakePeer {
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
export class FakeRouter {
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

export const b = (s: string) => Buffer.from(s);
export const set = (k: string, v: string): WriteOp => ['s', k, b(v)];

/** A logger that appends `level message` lines to `lines`. */
export function linesLogger(lines: string[]): ReplicaOptions['logger'] {
  const at = (level: string) => (m: string) => void lines.push(`${level} ${m}`);
  return { info: at('info'), warn: at('warn'), error: at('error'), debug: () => {} } as unknown as ReplicaOptions['logger'];
}


/** The fake router of the running test, and the replica it drives. */
export interface ReplicaLink {
  /** A fresh FakeRouter on an in-process transport for each test; a test may replace it. */
  router: FakeRouter;
  /** The replica to stop after the test (startReplica sets it). */
  replica: Replica | null;
  /** A replica named r1 with a 50 ms backoff cap, reaching the router by its transport (or TCP when `extra.port` is given). */
  startReplica(store: Store, extra?: Partial<ReplicaOptions>): Replica;
}

/** Registers beforeEach/afterEach that start a fake router and stop the replica and router. */
export function useReplicaLink(): ReplicaLink {
  const link: ReplicaLink = {
    router: undefined as unknown as FakeRouter,
    replica: null,
    startReplica(store, extra = {}) {
      const router = link.router;
      const via = router.transport.kind === 'in-process' && extra.port === undefined ? { transport: router.transport } : { host: '127.0.0.1', port: router.port };
      const replica = new Replica({ ...via, store, name: 'r1', maxRetryDelayMs: 50, ...extra });
      link.replica = replica;
      replica.start();
      return replica;
    },
  };
  beforeEach(async () => {
    link.router = await new FakeRouter().start();
  });
  afterEach(async () => {
    await link.replica?.stop();
    link.replica = null;
    await link.router.close();
  });
  return link;
}
