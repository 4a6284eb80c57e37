import { EventEmitter } from 'node:events';
import type net from 'node:net';
import {
  DEFAULT_LIMITS,
  DEFAULT_PORT,
  ErrorCode,
  MAX_HEARTBEAT_MS,
  MIN_HEARTBEAT_MS,
  startHeartbeat,
  validHeartbeat,
  FramedConnection,
  KVNDB_VERSION,
  KvndbError,
  Op,
  PROTOCOL_VERSION,
  defaultHost,
  listen,
  silentLogger,
  toKvndbError,
  type Limits,
  type Logger,
  type ReplicaHelloInfo,
  type ReplicaState,
  type ReplicaStatus,
  type RouterStatus,
  type TlsMaterial,
  type TransportType,
  type WriteOp,
  type WriteResult,
} from '@kvndb/shared';
import { AuthThrottle } from './admission/auth-throttle';
import { ClientSession, DEFAULT_SESSION_OPTIONS, type SessionHost } from './admission/client-session';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, ServerHandshake } from './admission/handshake';
import { allMembersPresent, planAdoption } from './sync/adoption';
import { describeConflict, lineage } from './sync/history';
import { JoinWindow, chooseSource } from './sync/join-window';
import { OpsMeter } from './requests/ops-meter';
import { ReadBalancer } from './reads/read-balancer';
import { ReadRequest } from './reads/read-request';
import { CallbackSink, type ReplySink } from './requests/reply-sink';
import { DEFAULT_WATERMARKS, ReplicaLink, type LinkOwner, type Watermarks } from './replicas/replica-link';
import { readMessage, writeOps } from './requests/request-validator';
import { DEFAULT_RESYNC_WINDOW, ResyncCoordinator, type ResyncHost } from './sync/full-resync';
import { WriteBacklog } from './writes/write-backlog';
import { RouterState } from './sync/router-state';
import { ResultShape, WriteSequencer, type WriteAckPolicy } from './writes/write-sequencer';

export interface RouterOptions {
  /** Default '127.0.0.1' ('::1' for type tcp6). */
  host?: string;
  /** Default 54565; 0 picks a free port. */
  port?: number;
  type?: TransportType;
  tls?: TlsMaterial;
  /** Client secret; undefined or '' = no authentication required. */
  password?: string;
  /** Replica secret; defaults to password. */
  replicaPassword?: string;
  /** Default 'majority'. */
  writeAck?: WriteAckPolicy;
  /** Default 10000. */
  writeTimeoutMs?: number;
  /** Write backlog size in bytes, default 64 MiB. */
  backlogBytes?: number;
  /** Default 2000. */
  joinWindowMs?: number;
  /** Stop waiting in the join window once this many replicas joined. */
  expectReplicas?: number;
  /**
   * Where the router remembers the history it served (epochs, the replicas in sync, how far
   * each got), so that after a restart it never serves from replicas lacking acknowledged
   * writes. Undefined: kept in memory only, forgotten at exit.
   */
  stateFile?: string;
  /**
   * Start serving from the replicas present even when the remembered history says none of
   * them holds every acknowledged write: the writes they lack are lost. For an operator
   * who knows those copies are gone for good.
   */
  acceptDataLoss?: boolean;
  /** Optional limit on resync streaming. */
  resyncRateBytesPerSec?: number;
  limits?: Partial<Limits>;
  /** Default silentLogger(). */
  logger?: Logger;

  // Tuning knobs (defaults suit production; tests turn them down).
  /** Handshake must finish within this, default 10000. */
  handshakeTimeoutMs?: number;
  /** A read not answered by its replica within this fails with TIMEOUT; default writeTimeoutMs. */
  readTimeoutMs?: number;
  /** Requests in flight per client connection, default 10000; more are answered TOO_MANY_REQUESTS. */
  maxInflightPerClient?: number;
  /** Open connections (clients, replicas and handshakes together), default 10000. */
  maxConnections?: number;
  /** Close a client that sent nothing for this long with no request in flight; 0 (default) = never. */
  idleTimeoutMs?: number;
  /** Close a client whose frame has been arriving for longer than this (slowloris); default 30000, 0 = never. */
  frameTimeoutMs?: number;
  /** Unsent answers one client may accumulate before it is disconnected, default 256 MiB. */
  clientOutputLimitBytes?: number;
  /** Failed handshakes per address waiting for their delayed answer before new ones are refused, default 16. */
  maxPendingAuthFailures?: number;
  /** Replica outgoing-buffer thresholds (lagging / in sync again / disconnect). */
  replicaWatermarks?: Partial<Watermarks>;
  /** Snapshot chunks in flight per resync, default 8. */
  resyncWindow?: number;
  /** Progress log interval during resyncs, default 5000. */
  resyncProgressIntervalMs?: number;
  /**
   * Replica liveness, default 5000; 0 = off. The router PINGs a replica it has sent nothing
   * for this long and drops one that sent nothing for HEARTBEAT_MISSES intervals; replicas
   * (told the interval in WELCOME) reconnect when the router is silent that long.
   */
  heartbeatMs?: number;
}

const DEFAULT_BACKLOG_BYTES = 64 * 1024 * 1024;
const TICK_MS = 1000;
const DEFAULT_HEARTBEAT_MS = 5000;

type Held =
  | { write: false; msg: unknown[]; sink: ReplySink; tag: number }
  | { write: true; ops: WriteOp[]; shape: ResultShape; sink: ReplySink; tag: number };

/**
 * The kvndb router: the one address clients and replicas connect to. It authenticates
 * every connection, puts every write into one total order and fans it out to all live
 * replicas, balances reads over in-sync replicas, and brings joining replicas up to date
 * (incremental catch-up from the backlog, or a full resync from an in-sync source).
 *
 * Events: 'replica-state' ({ id, name, state }) whenever a replica changes state or leaves
 * (state 'gone').
 */
export class Router extends EventEmitter implements SessionHost, LinkOwner, ResyncHost {
  private readonly logger: Logger;
  private readonly limits: Limits;
  private readonly host: string;
  private readonly port: number;
  private readonly type: TransportType;
  private readonly tls: TlsMaterial | undefined;
  private readonly clientSecret: string;
  private readonly replicaSecret: string;
  private readonly writeAck: WriteAckPolicy;
  private readonly readTimeoutMs: number;
  private readonly handshakeTimeoutMs: number;
  private readonly watermarks: Watermarks;
  private readonly sessionOptions = { ...DEFAULT_SESSION_OPTIONS };

  private readonly backlog: WriteBacklog;
  private readonly sequencer: WriteSequencer;
  private readonly balancer = new ReadBalancer<ReplicaLink>();
  private readonly coordinator: ResyncCoordinator;
  private readonly joinWindow: JoinWindow<ReplicaLink>;
  private readonly meter = new OpsMeter();
  private readonly throttle: AuthThrottle;
  private readonly maxConnections: number;
  /** Date.now() of the last "connection refused" warning, so a flood logs once a second. */
  private refusedLoggedAt = 0;

  private readonly links = new Map<number, ReplicaLink>();
  private readonly sessions = new Set<ClientSession>();
  /** Connections still in the handshake. */
  private readonly handshakes = new Map<FramedConnection, ServerHandshake>();
  /** Replicas that receive writes (in sync or lagging); replaced, never mutated, on change. */
  private live: ReplicaLink[] = [];
  /** Ids of in-sync replicas: whose acks count for a write sequenced now. */
  private inSyncIds: number[] = [];
  /** Requests held while the startup join window is open. */
  private held: Held[] = [];
  private adopted = false;
  /** Replicas that joined after the join window, while no source could be adopted yet. */
  private candidates: ReplicaLink[] = [];
  /** Why the router cannot adopt a source yet (status and NO_REPLICAS say it). */
  private waitingFor: string | undefined;
  private readonly state: RouterState;
  private readonly acceptDataLoss: boolean;
  private maxEpochSeen = 0;
  private nextId = 0;
  private server: net.Server | undefined;
  private bound: { host: string; port: number } | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly heartbeatMs: number;
  private startedAt = Date.now();
  private phase: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  private stopping: Promise<void> | undefined;

  constructor(options: RouterOptions = {}) {
    super();
    this.logger = options.logger ?? silentLogger();
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    for (const name of ['maxKeyBytes', 'maxValueBytes', 'maxFrameBytes'] as const) {
      const v = this.limits[name];
      if (!Number.isSafeInteger(v) || v <= 0) throw KvndbError.badRequest(`${name} must be a positive integer, got ${String(v)}`);
    }
    this.type = options.type ?? 'tcp';
    this.host = options.host ?? defaultHost(this.type);
    this.port = options.port ?? DEFAULT_PORT;
    if (!Number.isInteger(this.port) || this.port < 0 || this.port > 65535) {
      throw KvndbError.badRequest(`port must be an integer from 0 to 65535, got ${String(options.port)}`);
    }
    this.tls = options.tls;
    this.clientSecret = options.password ?? '';
    this.replicaSecret = options.replicaPassword ?? this.clientSecret;
    this.writeAck = options.writeAck ?? 'majority';
    if (!['one', 'majority', 'all'].includes(this.writeAck)) {
      throw KvndbError.badRequest(`write-ack must be one, majority or all, got ${String(options.writeAck)}`);
    }
    const writeTimeoutMs = positive('writeTimeoutMs', options.writeTimeoutMs, 10_000);
    this.readTimeoutMs = positive('readTimeoutMs', options.readTimeoutMs, writeTimeoutMs);
    this.handshakeTimeoutMs = positive('handshakeTimeoutMs', options.handshakeTimeoutMs, DEFAULT_HANDSHAKE_TIMEOUT_MS);
    const so = this.sessionOptions;
    so.maxInflight = positive('maxInflightPerClient', options.maxInflightPerClient, so.maxInflight);
    so.idleTimeoutMs = nonNegative('idleTimeoutMs', options.idleTimeoutMs, so.idleTimeoutMs);
    so.frameTimeoutMs = nonNegative('frameTimeoutMs', options.frameTimeoutMs, so.frameTimeoutMs);
    so.outputLimitBytes = positive('clientOutputLimitBytes', options.clientOutputLimitBytes, so.outputLimitBytes);
    // Pausing must start before the hard limit, or a client would be cut off instead of slowed.
    so.highWaterBytes = Math.min(so.highWaterBytes, Math.floor(so.outputLimitBytes / 2));
    so.lowWaterBytes = Math.min(so.lowWaterBytes, Math.floor(so.highWaterBytes / 4));
    this.maxConnections = positive('maxConnections', options.maxConnections, 10_000);
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    if (this.heartbeatMs !== 0 && !validHeartbeat(this.heartbeatMs)) {
      throw KvndbError.badRequest(
        `heartbeatMs must be 0 (off) or a whole number of ms from ${MIN_HEARTBEAT_MS} to ${MAX_HEARTBEAT_MS}, got ${String(options.heartbeatMs)}`,
      );
    }
    this.throttle = new AuthThrottle(
      200,
      5000,
      60_000,
      10_000,
      positive('maxPendingAuthFailures', options.maxPendingAuthFailures, 16),
    );
    const backlogBytes = positive('backlogBytes', options.backlogBytes, DEFAULT_BACKLOG_BYTES);
    const wm = { ...DEFAULT_WATERMARKS, ...options.replicaWatermarks };
    // A resync's tail is replayed from the backlog in one go: that alone must not trip the hard limit.
    wm.hard = Math.max(wm.hard, backlogBytes + wm.high);
    this.watermarks = wm;

    this.state = options.stateFile ? RouterState.open(options.stateFile) : RouterState.inMemory();
    this.maxEpochSeen = this.state.lastEpoch;
    this.acceptDataLoss = !!options.acceptDataLoss;

    this.backlog = new WriteBacklog(backlogBytes);
    this.sequencer = new WriteSequencer({
      writeAck: this.writeAck,
      timeoutMs: writeTimeoutMs,
      backlog: this.backlog,
      maxFrameBytes: this.limits.maxFrameBytes,
    });
    this.coordinator = new ResyncCoordinator(this, {
      window: positive('resyncWindow', options.resyncWindow, DEFAULT_RESYNC_WINDOW),
      rateBytesPerSec: options.resyncRateBytesPerSec,
      progressIntervalMs: options.resyncProgressIntervalMs ?? 5000,
      retryDelayMs: 1000,
      logger: this.logger,
    });
    this.joinWindow = new JoinWindow<ReplicaLink>(
      options.joinWindowMs ?? 2000,
      options.expectReplicas,
      (joiners) => this.joinWindowClosed(joiners),
    );
  }

  /** Bind the listener and open the startup join window. */
  async start(): Promise<void> {
    if (this.phase !== 'new') throw new KvndbError(ErrorCode.BAD_REQUEST, 'the router was already started');
    this.phase = 'starting';
    try {
      this.server = await listen({ host: this.host, port: this.port, type: this.type, tls: this.tls }, (socket) =>
        this.onSocket(socket),
      );
    } catch (err) {
      this.phase = 'stopped';
      throw err;
    }
    this.server.on('error', (err) => this.logger.error(`listener error: ${err.message}`));
    // Backstop at the TCP level: past this the kernel-accepted socket is dropped at once
    // (below it, onSocket refuses with a TOO_MANY_REQUESTS frame that says why).
    this.server.maxConnections = this.maxConnections + 64;
    if (this.type === 'tls') {
      // Node gives a TLS handshake 120 s; a peer that never finishes it gets ours instead.
      // onSocket clears this once the TLS session is up and ServerHandshake's timer takes over.
      const ms = this.handshakeTimeoutMs;
      this.server.on('connection', (raw: net.Socket) => raw.setTimeout(ms, () => raw.destroy()));
    }
    const addr = this.server.address() as net.AddressInfo;
    this.bound = { host: addr.address, port: addr.port };
    this.startedAt = Date.now();
    this.tickTimer = setInterval(this.tick, TICK_MS);
    this.tickTimer.unref();
    if (this.heartbeatMs > 0) this.heartbeatTimer = startHeartbeat(this.heartbeatMs, this.heartbeat);
    this.phase = 'running';
    this.logger.info(`listening on ${this.bound.host}:${this.bound.port}`);
    if (this.state.file) {
      const h = this.state.history;
      this.logger.info(
        this.state.loaded && h.length > 0
          ? `router state ${this.state.file}: last epoch ${this.state.lastEpoch}; replicas in sync when it was saved: ${this.state.memberships.map((m) => m.members.join(', ')).join(' / ') || 'none'}`
          : `router state ${this.state.file}: new; this router has served no history yet`,
      );
    }
    this.joinWindow.open();
  }

  get address(): { host: string; port: number } {
    if (!this.bound) throw new KvndbError(ErrorCode.BAD_REQUEST, 'the router is not listening yet');
    return { ...this.bound };
  }

  // ResyncHost
  get epoch(): number {
    return this.sequencer.epoch;
  }

  get seq(): number {
    return this.sequencer.seq;
  }

  status(): RouterStatus {
    const now = Date.now();
    const seq = this.sequencer.seq;
    const replicas: ReplicaStatus[] = [];
    for (const l of this.links.values()) {
      const r: ReplicaStatus = {
        id: l.id,
        name: l.name,
        address: l.address,
        state: l.state,
        epoch: l.epoch,
        seq: l.ackedSeq,
        lag: Math.max(0, seq - l.ackedSeq),
        inflightReads: l.inflightReads,
        bufferedBytes: l.bufferedBytes,
      };
      const resync = this.coordinator.progress(l);
      if (resync) r.resync = resync;
      if (l.conflict) r.conflict = l.conflict;
      replicas.push(r);
    }
    return {
      version: KVNDB_VERSION,
      protocol: PROTOCOL_VERSION,
      epoch: this.sequencer.epoch,
      seq,
      uptimeMs: this.phase === 'new' ? 0 : now - this.startedAt,
      writeAck: this.writeAck,
      ...(this.waitingFor ? { waitingFor: this.waitingFor } : {}),
      replicas,
      clients: this.sessions.size,
      ops: { reads: this.meter.reads, writes: this.meter.writes, ...this.meter.rates(now) },
    };
  }

  /**
   * Run one request exactly as a native client's would be: op is an Op code, args are the
   * message fields after the id. Used by client sessions and by a later RESP front door.
   */
  dispatch(op: number, args: unknown[], done: (err: KvndbError | null, value?: unknown) => void): void {
    this.execute(op, args, 0, new CallbackSink(done), 0);
  }

  /** Stop accepting, fail in-flight requests with SHUTTING_DOWN, close every socket. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = this.shutdown();
    return this.stopping;
  }

  // ---- requests -------------------------------------------------------------------------

  /** SessionHost: run request `op` with arguments from msg[base]. */
  execute(op: number, msg: unknown[], base: number, sink: ReplySink, tag: number): void {
    if (this.phase !== 'running') {
      sink.reply(
        tag,
        this.phase === 'new' || this.phase === 'starting'
          ? KvndbError.noReplicas('the router is not started yet')
          : new KvndbError(ErrorCode.SHUTTING_DOWN, 'the router is shutting down'),
      );
      return;
    }
    switch (op) {
      case Op.PING:
        sink.reply(tag, null, 'PONG');
        return;
      case Op.STATUS:
        sink.reply(tag, null, this.status());
        return;
      case Op.GET:
      case Op.HAS:
      case Op.MGET:
      case Op.KEYS: {
        let rmsg: unknown[];
        try {
          rmsg = readMessage(op, msg, base, this.limits);
        } catch (err) {
          sink.reply(tag, toKvndbError(err));
          return;
        }
        if (this.joinWindow.isOpen) this.held.push({ write: false, msg: rmsg, sink, tag });
        else this.read(rmsg, sink, tag);
        return;
      }
      case Op.SET:
      case Op.DEL:
      case Op.MSET:
      case Op.BATCH: {
        let ops: WriteOp[];
        try {
          ops = writeOps(op, msg, base, this.limits);
        } catch (err) {
          sink.reply(tag, toKvndbError(err));
          return;
        }
        const shape = op === Op.MSET ? ResultShape.Nil : op === Op.BATCH ? ResultShape.All : ResultShape.First;
        if (this.joinWindow.isOpen) this.held.push({ write: true, ops, shape, sink, tag });
        else this.write(ops, shape, sink, tag);
        return;
      }
      default:
        sink.reply(tag, new KvndbError(ErrorCode.NOT_SUPPORTED, `opcode ${String(op)} is not a request the router serves`));
    }
  }

  private read(msg: unknown[], sink: ReplySink, tag: number): void {
    this.meter.reads++;
    if (this.balancer.size === 0) {
      sink.reply(tag, KvndbError.noReplicas(this.whyNoReplicas()));
      return;
    }
    this.balancer.route(new ReadRequest(msg, sink, tag, Date.now() + this.readTimeoutMs));
  }

  private write(ops: WriteOp[], shape: ResultShape, sink: ReplySink, tag: number): void {
    this.meter.writes++;
    if (this.inSyncIds.length === 0) {
      sink.reply(tag, KvndbError.noReplicas(this.whyNoReplicas()));
      return;
    }
    // Once per membership change: the first write under it is recorded before it is sent.
    if (this.state.newestUnused) this.state.markNewestUsed();
    try {
      this.sequencer.sequence(ops, this.live, this.inSyncIds, shape, sink, tag);
    } catch (err) {
      // Encoding failed (TOO_LARGE) before the write got a seq: nothing was sent.
      sink.reply(tag, toKvndbError(err));
    }
  }

  // ---- connections ----------------------------------------------------------------------

  private onSocket(socket: net.Socket): void {
    if (this.phase !== 'running') {
      socket.destroy();
      return;
    }
    // TLS: `socket` wraps the raw TCP socket whose TLS-handshake timeout start() set.
    (socket as net.Socket & { _parent?: net.Socket })._parent?.setTimeout(0);
    const conn = new FramedConnection(socket, { maxFrameBytes: this.limits.maxFrameBytes });
    const open = this.handshakes.size + this.sessions.size + this.links.size;
    if (open >= this.maxConnections) {
      this.refuse(conn, new KvndbError(ErrorCode.TOO_MANY_REQUESTS, `too many connections (the limit is ${this.maxConnections})`));
      return;
    }
    if (this.throttle.blocked(socket.remoteAddress ?? conn.address)) {
      this.refuse(
        conn,
        new KvndbError(ErrorCode.TOO_MANY_REQUESTS, 'too many failed authentications from this address; try again later'),
      );
      return;
    }
    const hs = new ServerHandshake(conn, {
      clientSecret: this.clientSecret,
      replicaSecret: this.replicaSecret,
      timeoutMs: this.handshakeTimeoutMs,
      throttle: this.throttle,
      logger: this.logger,
      welcomeInfo: () => ({
        version: KVNDB_VERSION,
        epoch: this.sequencer.epoch,
        seq: this.sequencer.seq,
        maxFrameBytes: this.limits.maxFrameBytes,
        maxKeyBytes: this.limits.maxKeyBytes,
        maxValueBytes: this.limits.maxValueBytes,
        heartbeatMs: this.heartbeatMs,
      }),
      onReady: (result) => {
        this.handshakes.delete(conn);
        if (result.role === 'client') this.addClient(conn, result.name);
        else this.addReplica(conn, result.info);
      },
    });
    this.handshakes.set(conn, hs);
    conn.once('close', () => this.handshakes.delete(conn));
  }

  /** Turn a new connection away before its handshake, with a reason (logged at most once a second). */
  private refuse(conn: FramedConnection, err: KvndbError): void {
    const now = Date.now();
    if (now - this.refusedLoggedAt >= 1000) {
      this.refusedLoggedAt = now;
      this.logger.warn(`refused connection from ${conn.address}: ${err.message}`);
    }
    conn.sendErrorAndClose(err);
  }

  private addClient(conn: FramedConnection, name: string | undefined): void {
    const session = new ClientSession(++this.nextId, conn, name, this, this.sessionOptions, this.logger);
    this.sessions.add(session);
    conn.once('close', () => this.sessions.delete(session));
    this.logger.debug(`client ${name ?? ''} connected from ${conn.address}`);
  }

  private addReplica(conn: FramedConnection, info: ReplicaHelloInfo): void {
    const link = new ReplicaLink(++this.nextId, conn, info, this, this.watermarks, this.logger);
    this.links.set(link.id, link);
    if (info.epoch > this.maxEpochSeen) this.maxEpochSeen = info.epoch;
    conn.onMessage = (msg) => this.onReplicaMessage(link, msg);
    conn.once('close', (err?: KvndbError) => this.linkClosed(link, err));
    this.logger.info(
      `replica ${link.name} joined from ${link.address} at epoch ${info.epoch} seq ${info.seq}${info.reset ? ' asking for a reset' : ''}`,
    );
    this.emitState(link);
    try {
      if (this.joinWindow.isOpen) {
        this.joinWindow.add(link);
        this.closeWindowEarly();
      } else if (!this.adopted) {
        this.candidates.push(link);
        this.tryAdopt();
      } else {
        this.place(link);
      }
    } catch (err) {
      this.logger.error(`placing replica ${link.name} failed: ${(err as Error).stack ?? String(err)}`);
      link.close(toKvndbError(err));
    }
  }

  private onReplicaMessage(link: ReplicaLink, msg: unknown): void {
    try {
      link.handle(msg);
    } catch (err) {
      const e = toKvndbError(err);
      if (e.code === ErrorCode.PROTOCOL_ERROR) {
        this.logger.warn(`protocol error from replica ${link.name}: ${e.message}`);
        link.conn.sendErrorAndClose(e);
      } else {
        this.logger.error(`replica ${link.name}: ${(err as Error).stack ?? String(err)}`);
        link.conn.sendErrorAndClose(new KvndbError(ErrorCode.INTERNAL, `internal error: ${e.message}`, { cause: err }));
      }
    }
  }

  // ---- replicas joining -----------------------------------------------------------------

  /**
   * Once every replica the remembered memberships name has joined, and they are enough to
   * adopt from, the rest of the window only delays service.
   */
  private closeWindowEarly(): void {
    if (this.state.memberships.length === 0) return;
    const joiners = this.joinWindow.members.filter((j) => !j.isClosed);
    if (!allMembersPresent(joiners, this.state)) return;
    if (planAdoption(joiners, this.state, this.writeAck).ready) this.joinWindow.close();
  }

  private joinWindowClosed(joiners: ReplicaLink[]): void {
    this.candidates = joiners.filter((j) => !j.isClosed);
    this.tryAdopt();
    const held = this.held;
    this.held = [];
    for (const h of held) {
      if (h.write) this.write(h.ops, h.shape, h.sink, h.tag);
      else this.read(h.msg, h.sink, h.tag);
    }
  }

  /**
   * Adopt a source among the candidates if the remembered history allows it (see
   * adoption.ts); otherwise say what the router waits for, and serve nothing meanwhile.
   */
  private tryAdopt(): void {
    const candidates = this.candidates.filter((j) => !j.isClosed);
    const plan = planAdoption(candidates, this.state, this.writeAck);
    if (plan.ready) {
      if (!plan.source) {
        this.logger.info('join window closed with no replica; the first replica to join becomes the source of truth');
        return;
      }
      this.candidates = [];
      this.adopt(plan.source, candidates);
      return;
    }
    if (this.acceptDataLoss && candidates.length > 0) {
      const source = chooseSource(candidates)!;
      this.logger.error(
        `--accept-data-loss: adopting ${source.name} although the router's history says: ${plan.waitingFor}. Acknowledged writes it lacks are lost`,
      );
      this.candidates = [];
      this.adopt(source, candidates);
      return;
    }
    if (plan.waitingFor !== this.waitingFor) {
      this.waitingFor = plan.waitingFor;
      this.logger.error(
        `not serving: ${plan.waitingFor}. Start those replicas with their data; if their data is lost for good, restart the router with --accept-data-loss (the writes only they held are lost)`,
      );
    }
  }

  /**
   * Make `source`'s position the router's: a new epoch starts after its seq, saved in the
   * router's state first and announced by an empty WRITE (epoch marker). Joiners at exactly
   * the same position are in sync at once; those behind it in the history get a full
   * resync; those holding writes the new history lacks are left out of service.
   */
  private adopt(source: ReplicaLink, joiners: readonly ReplicaLink[]): void {
    const h = source.hello;
    const s = h.reset ? 0 : h.seq;
    // Seconds, not milliseconds: fits a MessagePack uint32 (until 2106), so every language reads an integer.
    const epoch = Math.max(Math.floor(Date.now() / 1000), this.maxEpochSeen + 1);
    this.maxEpochSeen = epoch;
    const same = joiners.filter(
      (j) => j === source || (!h.reset && !j.hello.reset && j.hello.epoch === h.epoch && j.hello.seq === h.seq),
    );
    // A source from a history this router never recorded: its epoch ends where the new one begins.
    const before = s > 0 && !this.state.history.some((e) => e.epoch === h.epoch) ? { epoch: h.epoch, afterSeq: -1 } : undefined;
    this.state.startEpoch(
      { epoch, afterSeq: s },
      same.map((j) => j.name),
      Object.fromEntries(same.map((j) => [j.name, s])),
      before,
    );
    this.sequencer.startEpoch(epoch, s);
    this.adopted = true;
    this.waitingFor = undefined;
    this.logger.info(
      `adopting ${source.name} (epoch ${h.epoch} seq ${h.seq}${h.reset ? ', reset' : ''}) as the source of truth; epoch ${epoch} starts after seq ${s}`,
    );
    for (const j of same) {
      if (h.reset) {
        // It wiped its store: an empty snapshot at seq 0 tells it so in protocol terms.
        j.send([Op.SYNC_START, 'full', epoch, s, { resyncId: 0, source: null }]);
        j.send([Op.SNAPSHOT_END, 0, 0]);
      } else {
        j.send([Op.SYNC_START, 'incremental', epoch, s, {}]);
      }
      j.epoch = epoch;
      j.ackedSeq = s;
      j.setState('in-sync');
    }
    this.sequencer.sequence([], this.live, this.inSyncIds, ResultShape.Nil, null, 0);
    for (const j of same) j.send([Op.SYNC_DONE, epoch, this.sequencer.seq]);
    for (const j of joiners) {
      if (same.includes(j) || j.isClosed) continue;
      if (j.hello.reset) this.coordinator.start(j, 'reset requested');
      else if (!this.holdIfConflicting(j)) this.coordinator.start(j, `startup: its position differs from ${source.name}'s`);
    }
  }

  /** A replica joining after the router adopted a source: catch-up from the backlog when possible, else full resync. */
  private place(link: ReplicaLink): void {
    const h = link.hello;
    const epoch = this.sequencer.epoch;
    const seq = this.sequencer.seq;
    if (h.reset) {
      this.coordinator.start(link, 'reset requested');
      return;
    }
    if (this.holdIfConflicting(link)) return;
    if (h.epoch === epoch && this.backlog.canCatchUp(h.seq)) {
      link.send([Op.SYNC_START, 'incremental', epoch, h.seq, {}]);
      this.logger.info(`incremental catch-up of ${link.name}: writes ${h.seq + 1} to ${seq} from the backlog`);
      this.finishSync(link, h.seq);
      return;
    }
    const reason =
      h.epoch !== epoch
        ? `it is at epoch ${h.epoch} seq ${h.seq}, the router at epoch ${epoch}`
        : `seq ${h.seq} is older than the backlog (which starts at ${this.backlog.firstSeq})`;
    this.coordinator.start(link, reason);
  }

  /**
   * A replica whose writes are not all in the router's history (ahead of it, or from an
   * epoch it does not know) is never resynced: that would discard them. It stays
   * connected and out of service, reported in status, until its operator decides
   * (restart it with --reset to take this history, or make it the source).
   */
  private holdIfConflicting(link: ReplicaLink): boolean {
    const kind = lineage(link.hello, this.state.history, this.sequencer.seq);
    if (kind === 'empty' || kind === 'prefix') return false;
    const conflict = describeConflict(link.name, link.hello, kind, this.state.history);
    link.conflict = conflict;
    link.setState('diverged');
    this.logger.error(
      `replica ${conflict}. It stays out of service and keeps its data. To discard its data and resync it, restart it with --reset; to keep its data instead, see "Recovery" in docs/ARCHITECTURE.md`,
    );
    return true;
  }

  /** ResyncHost: replay the backlog after `fromSeq`, then the replica is in sync. */
  finishSync(link: ReplicaLink, fromSeq: number): boolean {
    if (link.isClosed) return true;
    if (!this.backlog.canCatchUp(fromSeq)) return false;
    this.backlog.forEachAfter(fromSeq, (frame) => link.sendFrame(frame));
    link.epoch = this.sequencer.epoch;
    if (link.ackedSeq < fromSeq) link.ackedSeq = fromSeq;
    // SYNC_DONE before the state change: becoming in sync may make it a resync source at once.
    link.send([Op.SYNC_DONE, this.sequencer.epoch, this.sequencer.seq]);
    link.setState('in-sync');
    link.checkPressure();
    return true;
  }

  /** ResyncHost: an in-sync replica to copy from. */
  pickSource(joiner: ReplicaLink): ReplicaLink | undefined {
    let best: ReplicaLink | undefined;
    for (const l of this.balancer.list()) {
      if (l === joiner || l.isClosed) continue;
      if (!best || l.inflightReads < best.inflightReads) best = l;
    }
    return best;
  }

  // ---- LinkOwner ------------------------------------------------------------------------

  linkStateChanged(link: ReplicaLink, previous: ReplicaState): void {
    if (link.state === 'in-sync') this.balancer.add(link);
    else this.balancer.remove(link);
    this.refreshMembership();
    this.logger.debug(`replica ${link.name}: ${previous} -> ${link.state}`);
    this.emitState(link);
    if (link.state === 'in-sync') this.coordinator.sourceAvailable();
  }

  writeAcked(link: ReplicaLink, seq: number, results: WriteResult[]): void {
    if (seq > this.sequencer.seq) throw KvndbError.protocol(`WRITE_ACK for write ${seq}, which was never sent (the last is ${this.sequencer.seq})`);
    this.sequencer.ack(link.id, seq, results);
  }

  snapshotMessage(link: ReplicaLink, msg: unknown[]): void {
    this.coordinator.handle(link, msg);
  }

  private linkClosed(link: ReplicaLink, err: KvndbError | undefined): void {
    if (!this.links.delete(link.id)) return;
    this.joinWindow.remove(link);
    this.candidates = this.candidates.filter((c) => c !== link);
    this.balancer.remove(link);
    this.refreshMembership();
    this.logger.info(`replica ${link.name} (${link.address}) disconnected${err ? `: ${err.message}` : ''}`);
    this.sequencer.targetLost(link.id);
    this.coordinator.linkLost(link);
    const reads = link.takeOutstanding();
    if (this.phase === 'running') {
      this.balancer.reroute(reads, link.name);
    } else {
      const e = new KvndbError(ErrorCode.SHUTTING_DOWN, 'the router is shutting down');
      for (const r of reads) r.sink.reply(r.tag, e);
    }
    this.emit('replica-state', { id: link.id, name: link.name, state: 'gone' });
  }

  private refreshMembership(): void {
    const live: ReplicaLink[] = [];
    const ids: number[] = [];
    for (const l of this.links.values()) {
      if (!l.live) continue;
      live.push(l);
      if (l.state === 'in-sync') ids.push(l.id);
    }
    this.live = live;
    this.inSyncIds = ids;
    // Saved before any write is counted under the new set: see adoption.ts. A router that is
    // stopping sequences nothing more, so replicas leaving at its shutdown change nothing.
    if (this.adopted && this.phase === 'running') {
      this.state.membershipChanged(
        live.filter((l) => l.state === 'in-sync').map((l) => l.name),
        this.sequencer.seq + 1,
      );
    }
  }

  /** Why no request can be served right now, and what would change that: for NO_REPLICAS errors. */
  private whyNoReplicas(): string {
    if (!this.adopted) {
      return this.waitingFor ?? 'no replica has joined yet; the first replica to join becomes the source of truth';
    }
    const parts: string[] = [];
    for (const l of this.links.values()) {
      if (l.state === 'diverged') parts.push(`${l.name} is out of service: ${l.conflict ?? 'diverged'}`);
      else if (l.state === 'syncing') {
        parts.push(
          this.coordinator.isWaiting(l)
            ? `${l.name} needs a full resync but no replica in sync holds the data to copy from (if every copy is lost, restart the router with --accept-data-loss)`
            : `${l.name} is resyncing`,
        );
      } else if (l.state === 'lagging') parts.push(`${l.name} is lagging (too far behind to serve)`);
      else if (l.state === 'joining') parts.push(`${l.name} is joining`);
    }
    return parts.length > 0 ? `no replica is in sync: ${parts.join('; ')}` : 'no replica is connected';
  }

  /** What each in-sync replica has acknowledged, for the state's floors. */
  private *floors(): Iterable<[string, number]> {
    for (const l of this.links.values()) if (l.state === 'in-sync') yield [l.name, l.ackedSeq];
  }

  private emitState(link: ReplicaLink): void {
    this.emit('replica-state', { id: link.id, name: link.name, state: link.state });
  }

  private tick = (): void => {
    const now = Date.now();
    this.meter.sample(now);
    if (this.adopted) this.state.settle(this.sequencer.lastAckedSeq, this.floors());
    for (const l of this.links.values()) {
      l.expireReads(now);
      l.checkPressure();
    }
    for (const s of this.sessions) s.checkTimeouts(now);
  };

  /**
   * PING replicas this router has been quiet towards; drop the ones it heard nothing from for
   * HEARTBEAT_MISSES intervals (replicas PING too when quiet, even while receiving one large
   * frame for a long time, so silence means a frozen process or a dead path).
   */
  private heartbeat = (now: number): void => {
    for (const l of this.links.values()) {
      if (l.isClosed) continue;
      const silentFor = l.conn.heartbeat(now, this.heartbeatMs);
      if (silentFor === null) continue;
      this.logger.warn(
        `replica ${l.name} (${l.address}) sent nothing for ${silentFor} ms (heartbeat ${this.heartbeatMs} ms): dropping it; it resyncs when it reconnects`,
      );
      l.close(KvndbError.timeout(`replica ${l.name} sent nothing for ${silentFor} ms`));
    }
  };

  // ---- shutdown -------------------------------------------------------------------------

  private async shutdown(): Promise<void> {
    const wasRunning = this.phase === 'running' || this.phase === 'starting';
    this.phase = 'stopping';
    this.joinWindow.stop();
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.tickTimer = undefined;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    const err = new KvndbError(ErrorCode.SHUTTING_DOWN, 'the router is shutting down');
    const held = this.held;
    this.held = [];
    for (const h of held) h.sink.reply(h.tag, err);
    this.sequencer.failAll(err);
    this.sequencer.stop();
    for (const l of this.links.values()) for (const r of l.takeOutstanding()) r.sink.reply(r.tag, err);
    this.coordinator.stop();
    const closed = new Promise<void>((resolve) => {
      if (!this.server || !wasRunning) return resolve();
      this.server.close(() => resolve());
    });
    for (const s of this.sessions) s.shutdown();
    for (const l of this.links.values()) l.conn.sendErrorAndClose(err);
    for (const hs of [...this.handshakes.values()]) hs.abort(err);
    await closed;
    this.phase = 'stopped';
    this.logger.info('router stopped');
  }
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw KvndbError.badRequest(`${name} must be a number >= 0, got ${String(value)}`);
  }
  return value;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw KvndbError.badRequest(`${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}
