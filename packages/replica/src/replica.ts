import { EventEmitter } from 'node:events';
import os from 'node:os';
import {
  peerHandshake,
  DEFAULT_HOST,
  DEFAULT_PORT,
  startHeartbeat,
  validHeartbeat,
  ErrorCode,
  FramedConnection,
  KvndbError,
  heartbeatRound,
  silentLogger,
  socketTransport,
  toKvndbError,
  type Logger,
  type ReplicaHelloInfo,
  type TlsMaterial,
  type Transport,
  type TransportType,
} from '@kvndb/shared';
import { ReplicaSession } from './session/replica-session';
import type { Store } from './store/store';

export interface ReplicaOptions {
  /**
   * How to reach the router (e.g. an InProcessTransport for a router in this process).
   * Default: the socket transport to host, port, type and tls.
   */
  transport?: Transport;
  host?: string;
  port?: number;
  type?: TransportType;
  tls?: TlsMaterial;
  /** The replica secret (the router's --replica-password, or its --password). */
  password?: string;
  /** Default `${os.hostname()}-${process.pid}`. */
  name?: string;
  /** Wipe the store and ask for a full resync on the first join. */
  reset?: boolean;
  store: Store;
  logger?: Logger;
  /**
   * Backoff cap between connection attempts, default DEFAULT_MAX_RETRY_DELAY_MS (1000 ms).
   * Keep it below the router's join window (2000 ms by default): a replica still asleep in
   * its backoff when a restarted router's window closes arrives late, after a source was
   * adopted without it.
   */
  maxRetryDelayMs?: number;
}

export type ReplicaLinkState = 'connecting' | 'syncing' | 'in-sync' | 'stopped';

type PRetryModule = typeof import('p-retry', { with: { 'resolution-mode': 'import' } });
let pRetryModule: Promise<PRetryModule> | null = null;
/** p-retry is ESM-only; a dynamic import loads it from CommonJS (and jest compiles it to a require). */
function loadPRetry(): Promise<PRetryModule> {
  pRetryModule ??= import('p-retry');
  return pRetryModule;
}

/** The default cap on the reconnect backoff: half the router's default join window (2000 ms). */
export const DEFAULT_MAX_RETRY_DELAY_MS = 1000;

/**
 * A session that ends sooner than this is followed by a pause, so a router that drops us at
 * once is not hammered. The pause is never longer than the backoff cap, so it cannot make a
 * replica later to a restarted router than its backoff already allows.
 */
const MIN_HEALTHY_SESSION_MS = 1000;

/**
 * A replica's link to the router: connects out, handshakes with its stored position, and
 * runs a ReplicaSession until the connection ends; then reconnects with backoff, forever,
 * until stop().
 *
 * Events: 'connected' (WelcomeInfo), 'disconnected' (KvndbError | undefined), 'in-sync' ().
 */
export class Replica extends EventEmitter {
  readonly name: string;
  private readonly host: string;
  private readonly port: number;
  private readonly transport: Transport;
  private readonly store: Store;
  private readonly logger: Logger;
  private readonly maxRetryDelayMs: number;
  private _state: ReplicaLinkState = 'stopped';
  private started = false;
  private stopping = false;
  /** HELLO says reset only until the first join succeeds. */
  private resetPending: boolean;
  private conn: FramedConnection | null = null;
  private running: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private pauseTimer: NodeJS.Timeout | null = null;
  private wakePause: (() => void) | null = null;

  constructor(private readonly options: ReplicaOptions) {
    super();
    if (!options || !options.store) throw KvndbError.badRequest('a replica needs a store');
    this.store = options.store;
    this.name = options.name ?? `${os.hostname()}-${process.pid}`;
    this.host = options.host ?? DEFAULT_HOST;
    this.port = options.port ?? DEFAULT_PORT;
    this.transport = options.transport ?? socketTransport({ host: this.host, port: this.port, type: options.type, tls: options.tls });
    this.logger = options.logger ?? silentLogger();
    this.maxRetryDelayMs = Math.max(10, options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS);
    this.resetPending = !!options.reset;
  }

  get state(): ReplicaLinkState {
    return this._state;
  }

  private get routerAddress(): string {
    if (this.options.transport) return `${this.transport.kind} transport`;
    return this.host.includes(':') ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`;
  }

  /** Connect and keep reconnecting (with backoff) until stop(). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this._state = 'connecting';
    this.running = this.run().catch((err) => {
      // run() handles its own failures; reaching here is a bug, but must not be an unhandled rejection.
      this.logger.error(`replica link stopped unexpectedly: ${toKvndbError(err).message}`);
    });
  }

  /** Disconnect, stop retrying and close the store. */
  async stop(): Promise<void> {
    if (this.stopping) {
      await this.running;
      return;
    }
    this.stopping = true;
    this.abort.abort(KvndbError.connectionClosed('the replica is stopping'));
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    this.wakePause?.();
    this.conn?.close();
    await this.running;
    this._state = 'stopped';
    this.store.close();
  }

  private async run(): Promise<void> {
    const { default: pRetry, AbortError } = await loadPRetry();
    if (this.resetPending) {
      this.store.reset();
      this.logger.info(`reset requested: wiped the ${this.store.kind} store; asking the router for a full resync`);
    }
    while (!this.stopping) {
      let conn: FramedConnection;
      try {
        conn = await pRetry(
          async (attempt: number) => {
            if (this.stopping) throw new AbortError('the replica is stopping');
            return this.connectOnce(attempt);
          },
          {
            forever: true,
            factor: 2,
            minTimeout: Math.min(100, this.maxRetryDelayMs),
            maxTimeout: this.maxRetryDelayMs,
            randomize: true,
            signal: this.abort.signal,
            onFailedAttempt: (err) => this.logFailedAttempt(err as unknown as KvndbError & { attemptNumber: number }),
          },
        );
      } catch (err) {
        if (this.stopping) break;
        // Only a non-retryable error gets here; keep trying rather than giving up on the router.
        this.logger.error(`cannot join the router at ${this.routerAddress}: ${toKvndbError(err).message}`);
        await this.pause(this.maxRetryDelayMs);
        continue;
      }
      const startedAt = Date.now();
      if (!conn.isClosed) await new Promise<void>((resolve) => conn.once('close', () => resolve()));
      if (!this.stopping && Date.now() - startedAt < MIN_HEALTHY_SESSION_MS) {
        await this.pause(Math.min(MIN_HEALTHY_SESSION_MS, this.maxRetryDelayMs));
      }
    }
  }

  /** One attempt: dial, handshake with our stored position, start a session. */
  private async connectOnce(attempt: number): Promise<FramedConnection> {
    this.logger.info(`connecting to router at ${this.routerAddress} (attempt ${attempt})`);
    const link = await this.transport.dial();
    if (this.stopping) {
      link.stream.destroy();
      throw KvndbError.connectionClosed('the replica is stopping');
    }
    const conn = new FramedConnection(link.stream, { address: link.address, inProcess: link.inProcess });
    this.conn = conn;
    try {
      this.wipeIfHalfLoaded();
      const pos = this.store.position();
      const info: ReplicaHelloInfo = { name: this.name, epoch: pos.epoch, seq: pos.seq, reset: this.resetPending, time: this.store.time(), nextExpiry: this.store.nextExpiry() };
      const welcome = await peerHandshake(conn, {
        role: 'replica',
        secret: this.options.password,
        info: info as unknown as Record<string, unknown>,
      });
      if (this.stopping || conn.isClosed) throw KvndbError.connectionClosed('connection closed right after the handshake');
      this.resetPending = false;
      conn.once('close', (err?: KvndbError) => this.onDisconnect(conn, err));
      this._state = 'syncing';
      this.logger.info(
        `joined router at ${this.routerAddress} as ${this.name} with position epoch ${pos.epoch}, seq ${pos.seq}${info.reset ? ' (reset)' : ''}; router at epoch ${welcome.epoch}, seq ${welcome.seq}`,
      );
      this.emit('connected', welcome);
      this.watchRouter(conn, welcome.heartbeatMs);
      // Installing the session's handler delivers what arrived right behind WELCOME.
      new ReplicaSession(conn, this.store, this.logger, { onInSync: this.onInSync });
      return conn;
    } catch (err) {
      if (this.conn === conn) this.conn = null;
      conn.close();
      throw toKvndbError(err);
    }
  }

  /**
   * Router and replica each PING the other when they have sent nothing for `heartbeatMs`
   * (the router says it in WELCOME). Silence for HEARTBEAT_MISSES of them means the router
   * or the path to it is gone without a FIN (a frozen router, a dropped network): hang up
   * and reconnect rather than wait forever.
   */
  private watchRouter(conn: FramedConnection, heartbeatMs: unknown): void {
    // A value no router of ours sends (too small to tell from jitter, or overflowing a timer) is ignored.
    if (!validHeartbeat(heartbeatMs)) return;
    // Our own PINGs when quiet matter: the router may be sending us one large frame that
    // takes longer than its patience to arrive. Its [RESULT, 0, PONG] is ignored.
    const timer = startHeartbeat(heartbeatMs, (now) => {
      if (conn.isClosed) return;
      const silentFor = heartbeatRound(conn, now, heartbeatMs);
      if (silentFor === null) return;
      this.logger.warn(
        `router at ${this.routerAddress} sent nothing for ${silentFor} ms (heartbeat ${heartbeatMs} ms): reconnecting`,
      );
      conn.close(KvndbError.timeout(`router silent for ${silentFor} ms`));
    });
    conn.once('close', () => clearInterval(timer));
  }

  private logFailedAttempt(err: KvndbError & { attemptNumber: number }): void {
    if (this.stopping) return;
    const where = `router at ${this.routerAddress}`;
    if (err.code === ErrorCode.AUTH_FAILED) {
      this.logger.error(
        `${where} refused this replica's secret (attempt ${err.attemptNumber}): ${err.message}; ` +
          "the replica's secret (its --password, else KVNDB_REPLICA_PASSWORD, else KVNDB_PASSWORD, else --password-file) " +
          "must equal the router's --replica-password (or the router's --password when it has no replica password); retrying",
      );
    } else if (err.code === ErrorCode.VERSION_MISMATCH) {
      this.logger.error(`${where} speaks another protocol version (attempt ${err.attemptNumber}): ${err.message}`);
    } else {
      this.logger.warn(`cannot connect to ${where} (attempt ${err.attemptNumber}): ${err.message}`);
    }
  }

  /** Data at position (0,0) is what a resync that died half way leaves: it is no consistent state. */
  private wipeIfHalfLoaded(): void {
    const pos = this.store.position();
    if (pos.epoch === 0 && pos.seq === 0 && this.store.count() > 0) {
      this.logger.warn(`the ${this.store.kind} store holds data without a position (a resync died half way): wiping it before joining`);
      this.store.reset();
    }
  }

  private readonly onInSync = (): void => {
    this._state = 'in-sync';
    this.emit('in-sync');
  };

  private onDisconnect(conn: FramedConnection, err: KvndbError | undefined): void {
    if (this.conn === conn) this.conn = null;
    if (this.stopping) return;
    this._state = 'connecting';
    this.logger.warn(`disconnected from router at ${this.routerAddress}${err ? `: ${err.message}` : ''}; reconnecting`);
    this.emit('disconnected', err);
  }

  private pause(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      this.wakePause = () => {
        this.wakePause = null;
        resolve();
      };
      this.pauseTimer = setTimeout(() => {
        this.pauseTimer = null;
        this.wakePause?.();
      }, ms);
    });
  }
}
