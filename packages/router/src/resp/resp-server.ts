import type net from 'node:net';
import { timingSafeEqual, createHash } from 'node:crypto';
import {
  DEFAULT_LIMITS,
  listen,
  silentLogger,
  type Endpoint,
  type Limits,
  type Logger,
  type RouterStatus,
} from '@kvndb/shared';
import type { ReplySink } from '../requests/reply-sink';
import type { KeyspaceNotifier, PubSubBroker } from '../pubsub';
import type { Door, RequestStats } from '../requests/request-stats';
import * as R from './resp-encoder';
import { RespSession } from './resp-session';
import { ScanCursors } from './scan-cursors';

export { PRE_AUTH_MAX_ARGS, PRE_AUTH_MAX_BULK_BYTES } from './resp-session';

/**
 * What the RESP front door needs from the router: the request path native clients use, and
 * the status INFO shows. Only RespSession.execute() and RespSession.status() call it.
 */
export interface RespBackend {
  /** A full native request [op, id, ...args]; the answer goes to sink.reply(tag, ...). */
  execute(msg: unknown[], sink: ReplySink, tag: number, door?: Door): void;
  status(): RouterStatus;
  /** Where errors and failed AUTHs are counted for /metrics. */
  readonly stats?: RequestStats;
  /** The seq of the newest write sequenced. */
  readonly lastSeq: number;
  /** How many replicas have applied every write up to `seq`. */
  appliedBy(seq: number): number;
  /** Pub/sub, shared with the other doors. */
  readonly pubsub: PubSubBroker;
  /** Keyspace notifications (CONFIG SET notify-keyspace-events). */
  readonly keyspaceEvents: KeyspaceNotifier;
}

export interface RespServerOptions extends Endpoint {
  /** The client password; AUTH must match it when set. */
  password?: string;
  limits?: Partial<Limits>;
  /** KEYS refuses to build a reply larger than this many keys (use SCAN). */
  maxKeysReply?: number;
  maxConnections?: number;
  /** With a password: ms a new connection has to AUTH before it is closed (default 10000). */
  handshakeTimeoutMs?: number;
  /** ms one command may take to arrive once it has started (slowloris); 0 = never (default 30000). */
  frameTimeoutMs?: number;
  /** ms a connection may send nothing, with no reply owed, before it is closed; 0 = never (default). */
  idleTimeoutMs?: number;
  logger?: Logger;
}

export interface RespTimeouts {
  handshakeMs: number;
  frameMs: number;
  idleMs: number;
}

/** How often connections are checked against the timeouts. */
const TIMEOUT_CHECK_MS = 1000;

/**
 * The Redis protocol front door: redis-cli, redis-benchmark and Redis client libraries talk
 * to the router through it. Commands map onto the router's own request path, so ordering,
 * write-ack and errors are exactly those of the native protocol. This file is the listener:
 * connection limit, timeouts and the password check; resp-session.ts is one connection,
 * reply-queue.ts its in-order replies, commands/ the commands.
 */
export class RespServer {
  private server: net.Server | null = null;
  private readonly sessions = new Set<RespSession>();
  readonly logger: Logger;
  readonly limits: Limits;
  readonly maxKeysReply: number;
  readonly timeouts: RespTimeouts;
  private timer: NodeJS.Timeout | null = null;
  /** CLIENT ID of the next connection; ids are never reused. */
  private nextId = 1;
  /** SCAN's cursors, shared by every connection: one client's cursor works on another, as in Redis. */
  readonly cursors = new ScanCursors();

  constructor(readonly backend: RespBackend, readonly options: RespServerOptions) {
    this.logger = options.logger ?? silentLogger();
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.maxKeysReply = options.maxKeysReply ?? 100000;
    this.timeouts = {
      handshakeMs: options.handshakeTimeoutMs ?? 10_000,
      frameMs: options.frameTimeoutMs ?? 30_000,
      idleMs: options.idleTimeoutMs ?? 0,
    };
  }

  async start(): Promise<void> {
    this.server = await listen(
      this.options,
      (socket) => this.accept(socket),
      (err) => this.logger.error(`RESP listener error: ${err.message}`),
    );
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const s of this.sessions) s.checkTimeouts(now);
    }, TIMEOUT_CHECK_MS);
    this.timer.unref();
    const a = this.address;
    this.logger.info(`RESP (Redis protocol) listening on ${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`);
  }

  get address(): { host: string; port: number } {
    const a = this.server?.address();
    if (a && typeof a === 'object') return { host: a.address, port: a.port };
    return { host: this.options.host, port: this.options.port };
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const s of this.sessions) s.socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The open connections (CLIENT LIST, INFO's connected_clients). */
  get connections(): ReadonlySet<RespSession> {
    return this.sessions;
  }

  checkPassword(given: Buffer): boolean {
    const want = this.options.password ?? '';
    // Compare digests so the comparison is constant-time whatever the lengths.
    const a = createHash('sha256').update(given).digest();
    const b = createHash('sha256').update(want).digest();
    return timingSafeEqual(a, b);
  }

  private accept(socket: net.Socket): void {
    if (this.options.maxConnections && this.sessions.size >= this.options.maxConnections) {
      socket.end(R.error('ERR max number of clients reached'));
      return;
    }
    socket.setNoDelay(true);
    const session = new RespSession(this, socket, this.nextId++);
    this.sessions.add(session);
    socket.on('close', () => this.sessions.delete(session));
  }
}
