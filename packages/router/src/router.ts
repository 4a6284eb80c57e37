import { EventEmitter } from 'node:events';
import {
  ErrorCode,
  KVNDB_VERSION,
  KvndbError,
  PROTOCOL_VERSION,
  socketTransport,
  startHeartbeat,
  type Listener,
  type ReplicaStatus,
  type RouterStatus,
  type Transport,
} from '@kvndb/shared';
import { Admission } from './admission/admission';
import { LocalReads, type LocalStore } from './reads/local-reads';
import { ReadPath } from './reads/read-path';
import { ReplicaSet } from './replicas/replica-set';
import { OpsMeter } from './requests/ops-meter';
import type { ReplySink } from './requests/reply-sink';
import { Door, type RequestStats } from './requests/request-stats';
import { RequestDispatcher } from './requests/request-dispatcher';
import { routerConfig, type RouterConfig, type RouterOptions } from './router-options';
import { CatchUp } from './sync/catch-up';
import { ResyncCoordinator } from './sync/full-resync';
import { Placement } from './sync/placement';
import { RouterState } from './sync/router-state';
import { WriteBacklog } from './writes/write-backlog';
import { WritePath } from './writes/write-path';
import { WriteSequencer, type AppliedWrite } from './writes/write-sequencer';
import { RouterClock } from './router-clock';
import { ExpirySweeper } from './writes/expiry-sweeper';
import { PopWaiters } from './blocking/pop-waiters';
import { ChangeFeed, type SequencePosition } from './changes/change-feed';
import { KeyWaiters } from './changes/key-waiters';
import { StreamRequests } from './changes/stream-requests';
import type { WatchConsumer, Watcher } from './changes/watcher';
import { PubSubBroker } from './pubsub/broker';
import { KeyspaceNotifier } from './pubsub/keyspace-notifier';
import { NativePubSub } from './pubsub/native-pubsub';

export type { RouterOptions } from './router-options';

/** What Router.internals() gives the metrics. */
export interface RouterInternals {
  writesSequenced: number;
  readsServed: number;
  backlogBytes: number;
  /** Seq of the oldest write the backlog still holds; 0 when it is empty. */
  backlogOldestSeq: number;
  backlogMaxBytes: number;
  nativeClients: number;
  handshakes: number;
  replicas: number;
  nativeAuthFailures: number;
}

const TICK_MS = 1000;
/** A stopping router waits at most this long for the writes in flight. */
const DRAIN_MS = 2000;

/**
 * The kvndb router: the one address clients and replicas connect to. It authenticates
 * every connection, puts every write into one total order and fans it out to all live
 * replicas, balances reads over in-sync replicas, and brings joining replicas up to date
 * (incremental catch-up from the backlog, or a full resync from an in-sync source).
 *
 * This class only composes the parts that do that and runs their timers and lifecycle:
 * admission (connections and handshakes), the request dispatcher (every door's requests),
 * the replica set (membership and its events), the read and write paths, and placement
 * with the full resync (sync/).
 *
 * Events: 'replica-state' ({ id, name, state }) whenever a replica changes state or leaves
 * (state 'gone').
 */
export class Router extends EventEmitter {
  private readonly config: RouterConfig;
  private readonly state: RouterState;
  private readonly meter = new OpsMeter();
  private readonly sequencer: WriteSequencer;
  private readonly clock: RouterClock;
  private readonly sweeper: ExpirySweeper;
  private readonly replicas: ReplicaSet;
  private readonly reads: ReadPath;
  private readonly resync: ResyncCoordinator;
  private readonly placement: Placement;
  private readonly requests: RequestDispatcher;
  private readonly admission: Admission;
  /** Blocking pops, held until a write may have given them a value. */
  private readonly popWaiters: PopWaiters;
  private readonly feed: ChangeFeed;
  /** Blocking reads (GET_WAIT, WAIT), answered once their key exists. */
  private readonly keyWaiters: KeyWaiters;
  /** Pub/sub: every door's subscribers and publishers meet here (messages are not stored). */
  readonly pubsub = new PubSubBroker();
  /** Keyspace notifications into `pubsub`, from the write stream (notify-keyspace-events). */
  readonly keyspaceEvents: KeyspaceNotifier;
  private readonly backlog: WriteBacklog;
  /** The web monitor's address when the HTTP door serves it; status() shows it. */
  monitorUrl: string | undefined;

  private listener: Listener | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private startedAt = Date.now();
  private phase: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  private stopping: Promise<void> | undefined;

  constructor(options: RouterOptions = {}) {
    super();
    const c = (this.config = routerConfig(options));
    const logger = c.logger;
    this.state = c.stateFile ? RouterState.open(c.stateFile) : RouterState.inMemory();

    const backlog = (this.backlog = new WriteBacklog(c.backlogBytes));
    const clock = (this.clock = new RouterClock());
    const sequencer = (this.sequencer = new WriteSequencer({
      writeAck: c.writeAck,
      timeoutMs: c.writeTimeoutMs,
      backlog,
      maxFrameBytes: c.limits.maxFrameBytes,
      clock,
    }));
    this.pubsub.outputLimit = c.pubsubOutputLimit;
    this.keyspaceEvents = new KeyspaceNotifier(this.pubsub, (observer) => sequencer.observe(observer));
    this.keyspaceEvents.setFlags(c.notifyKeyspaceEvents);
    const whyNoReplicas = (): string => this.placement.whyNoReplicas();
    const reads = (this.reads = new ReadPath(c.readTimeoutMs, this.meter, whyNoReplicas));
    // Every applied write feeds the watchers and the blocked reads (changes/).
    const feed = (this.feed = new ChangeFeed(backlog, sequencer as SequencePosition, { maxWatchers: c.maxWatchers }));
    sequencer.observe(feed.observe);
    const keyWaiters = (this.keyWaiters = new KeyWaiters((msg, sink, tag) => reads.read(msg, sink, tag), {
      maxWaiters: c.maxBlockedReads,
      maxPerConnection: c.maxBlockedReadsPerClient,
    }));
    feed.listen(keyWaiters);
    const streams = new StreamRequests(feed, keyWaiters, c.limits, { maxWatchesPerConnection: c.maxWatchesPerClient });
    const catchUp = new CatchUp(sequencer, backlog);
    const resync = (this.resync = new ResyncCoordinator(
      { position: sequencer, sources: reads, catchUp },
      {
        window: c.resyncWindow,
        rateBytesPerSec: c.resyncRateBytesPerSec,
        progressIntervalMs: c.resyncProgressIntervalMs,
        retryDelayMs: 1000,
        logger,
      },
    ));
    // Each link hands WRITE_ACKs to the sequencer and snapshot messages to the full resync.
    const replicas = (this.replicas = new ReplicaSet(sequencer, resync, c.watermarks, logger, clock));
    const placement = (this.placement = new Placement(replicas, this.state, sequencer, catchUp, resync, {
      writeAck: c.writeAck,
      acceptDataLoss: c.acceptDataLoss,
      joinWindowMs: c.joinWindowMs,
      expectReplicas: c.expectReplicas,
      logger,
      onWindowClosed: () => {
        this.requests.release();
        sweeper.start();
      },
    }));
    const sweeper = (this.sweeper = new ExpirySweeper(sequencer, replicas, clock));
    const popWaiters = (this.popWaiters = new PopWaiters({ ...c.blockingPops, logger }));
    const writes = new WritePath(sequencer, replicas, this.state, this.meter, whyNoReplicas, sweeper, popWaiters);
    popWaiters.attach(writes);
    this.requests = new RequestDispatcher(c.limits, reads, writes, () => this.status(), () => clock.now(), popWaiters, streams);
    const nativePubSub = new NativePubSub(this.pubsub, c.limits, logger);
    for (const op of NativePubSub.OPS) this.requests.serveOp(op, (msg, sink, tag) => nativePubSub.execute(msg, sink, tag));
    this.admission = new Admission({
      clientSecret: c.clientSecret,
      replicaSecret: c.replicaSecret,
      handshakeTimeoutMs: c.handshakeTimeoutMs,
      maxConnections: c.maxConnections,
      maxPendingAuthFailures: c.maxPendingAuthFailures,
      maxFrameBytes: c.limits.maxFrameBytes,
      session: c.session,
      logger,
      requests: this.requests,
      replicas,
      welcomeInfo: () => ({
        version: KVNDB_VERSION,
        epoch: sequencer.epoch,
        seq: sequencer.seq,
        maxFrameBytes: c.limits.maxFrameBytes,
        maxKeyBytes: c.limits.maxKeyBytes,
        maxValueBytes: c.limits.maxValueBytes,
        heartbeatMs: c.heartbeatMs,
      }),
    });

    // Who reacts to the replica set, in this order (the membership is saved before any
    // write counts under it; a resync picks its source once the gone replica left the balancer).
    replicas.on('joined', (link) => this.emitState(link.id, link.name, link.state));
    replicas.on('joined', (link) => placement.joined(link));
    replicas.on('joined', (link) => sweeper.expiryKnown(link.hello.nextExpiry));
    replicas.on('membership', () => placement.recordMembership());
    replicas.on('state', (link) => reads.stateChanged(link));
    replicas.on('state', (link) => this.emitState(link.id, link.name, link.state));
    replicas.on('state', (link) => {
      if (link.state === 'in-sync') resync.sourceAvailable();
    });
    replicas.on('gone', (link) => placement.linkGone(link));
    replicas.on('gone', (link) => reads.linkGone(link));
    replicas.on('gone', (link) => sequencer.targetLost(link.id));
    replicas.on('gone', (link) => resync.linkLost(link));
    replicas.on('gone', (link) => this.emitState(link.id, link.name, 'gone'));
  }

  /** Bind the listener and open the startup join window. */
  async start(): Promise<void> {
    if (this.phase !== 'new') throw new KvndbError(ErrorCode.BAD_REQUEST, 'the router was already started');
    this.phase = 'starting';
    const c = this.config;
    const transport = socketTransport(
      { host: c.host, port: c.port, type: c.type, tls: c.tls },
      // Backstop at the TCP level: past this the kernel-accepted socket is dropped at once
      // (below it, admission refuses with a TOO_MANY_REQUESTS frame that says why).
      {
        handshakeTimeoutMs: c.handshakeTimeoutMs,
        maxConnections: c.maxConnections + 64,
        // An error on the listening server (EMFILE on accept, ...) must be logged, not thrown.
        onError: (err) => c.logger.error(`listener error: ${err.message}`),
      },
    );
    try {
      this.listener = await this.admission.serve(transport);
    } catch (err) {
      this.phase = 'stopped';
      throw err;
    }
    this.startedAt = Date.now();
    this.tickTimer = setInterval(this.tick, TICK_MS);
    this.tickTimer.unref();
    if (c.heartbeatMs > 0) {
      this.heartbeatTimer = startHeartbeat(c.heartbeatMs, (now) => this.replicas.heartbeat(now, c.heartbeatMs));
    }
    this.phase = 'running';
    this.admission.open();
    this.requests.hold();
    c.logger.info(`listening on ${this.listener.address.host}:${this.listener.address.port}`);
    this.placement.open();
  }

  /**
   * Also admit the connections of `transport` (e.g. an InProcessTransport for an embedded
   * replica), exactly like those of the router's own port. Call after start().
   */
  async serve(transport: Transport): Promise<void> {
    if (this.phase !== 'running') throw new KvndbError(ErrorCode.BAD_REQUEST, 'the router is not running');
    await this.admission.serve(transport);
  }

  get address(): { host: string; port: number } {
    if (!this.listener) throw new KvndbError(ErrorCode.BAD_REQUEST, 'the router is not listening yet');
    return { ...this.listener.address };
  }

  /**
   * Answer GET and MGET straight from `store` while the replica that reaches this router on
   * `transport` (in this process: standalone's, in this thread or on a worker thread) is in
   * sync and has applied every write sequenced (reads/local-reads.ts).
   */
  readLocally(transport: { readonly name: string }, store: LocalStore): void {
    const clock = this.clock;
    const sequencer = this.sequencer;
    const local = new LocalReads(`${transport.name}#`, store, () => sequencer.seq, () => clock.now());
    if (store.sequenced !== undefined) sequencer.onSequenced = (ops) => local.sequenced(ops);
    this.reads.readLocally(local);
  }

  /** The seq of the newest write sequenced (what a WAIT arriving now waits for). */
  get lastSeq(): number {
    return this.sequencer.seq;
  }

  /** How many connected replicas have applied every write up to `seq` (Redis's WAIT). */
  appliedBy(seq: number): number {
    let n = 0;
    for (const link of this.replicas.values()) if (link.ackedSeq >= seq && link.state !== 'diverged') n++;
    return n;
  }

  /**
   * Observe every write once a replica has applied it, in seq order, with its results
   * (watchers, keyspace notifications and blocked readers build on this). Returns the
   * function that stops observing.
   */
  observeWrites(observer: (write: AppliedWrite) => void): () => void {
    return this.sequencer.observe(observer);
  }

  /**
   * Watch the changes to `selector`'s keys after `fromSeq` (null: after the newest write
   * sequenced now), for a door of the router's own (the HTTP door's SSE). Throws COMPACTED
   * or TOO_MANY_REQUESTS; `watcher.position` is the seq it starts after. Call
   * watcher.start() once that was sent, watcher.resume() when a consumer that returned
   * false can take more, watcher.close() when the consumer goes away.
   */
  watch(selector: { prefix: string } | { keys: string[] }, fromSeq: number | null, consumer: WatchConsumer): Watcher {
    return this.feed.watch(selector, fromSeq, consumer);
  }

  status(): RouterStatus {
    const now = Date.now();
    const seq = this.sequencer.seq;
    const replicas: ReplicaStatus[] = [];
    for (const l of this.replicas.values()) {
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
      const resync = this.resync.progress(l);
      if (resync) r.resync = resync;
      if (l.conflict) r.conflict = l.conflict;
      replicas.push(r);
    }
    const waitingFor = this.placement.waitingFor;
    return {
      version: KVNDB_VERSION,
      protocol: PROTOCOL_VERSION,
      epoch: this.sequencer.epoch,
      seq,
      uptimeMs: this.phase === 'new' ? 0 : now - this.startedAt,
      writeAck: this.config.writeAck,
      ...(waitingFor ? { waitingFor } : {}),
      replicas,
      clients: this.admission.clientCount,
      ...(this.monitorUrl ? { monitor: this.monitorUrl } : {}),
      ops: { reads: this.meter.reads, writes: this.meter.writes, ...this.meter.rates(now) },
    };
  }

  /**
   * Run one request exactly as a native client's would be: `msg` is [op, id, ...args], the
   * answer goes to sink.reply(tag, ...). The RESP door calls this.
   */
  execute(msg: unknown[], sink: ReplySink, tag: number, door: Door = Door.Native): void {
    this.requests.execute(msg, sink, tag, door);
  }

  /** Run request `op` with `args` (the message fields after the id) and call `done` with the answer. */
  dispatch(op: number, args: unknown[], done: (err: KvndbError | null, value?: unknown) => void, door: Door = Door.Native): void {
    this.requests.dispatch(op, args, done, door);
  }

  /** Request and error counts per door and command, for /metrics. */
  get stats(): RequestStats {
    return this.requests.stats;
  }

  /** Counters and gauges /metrics reads at scrape time that status() does not carry. */
  internals(): RouterInternals {
    return {
      writesSequenced: this.meter.writes,
      readsServed: this.meter.reads,
      backlogBytes: this.backlog.bytes,
      backlogOldestSeq: this.backlog.size > 0 ? this.backlog.firstSeq : 0,
      backlogMaxBytes: this.backlog.maxBytes,
      nativeClients: this.admission.clientCount,
      handshakes: this.admission.handshakeCount,
      replicas: this.replicas.size,
      nativeAuthFailures: this.admission.authFailures,
    };
  }

  /** Stop accepting, fail in-flight requests with SHUTTING_DOWN, close every connection. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = this.shutdown();
    return this.stopping;
  }

  private async drainWrites(maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (this.sequencer.pendingCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  }

  private emitState(id: number, name: string, state: string): void {
    this.emit('replica-state', { id, name, state });
  }

  private tick = (): void => {
    const now = Date.now();
    this.meter.sample(now);
    this.placement.settle();
    this.replicas.tick(now);
    this.admission.checkTimeouts(now);
    this.popWaiters.sweep();
    this.feed.tick();
  };

  private async shutdown(): Promise<void> {
    this.phase = 'stopping';
    this.placement.stop();
    this.reads.stop();
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.tickTimer = undefined;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    const err = new KvndbError(ErrorCode.SHUTTING_DOWN, 'the router is shutting down');
    this.requests.stop(err);
    this.sweeper.stop();
    // Let the writes in flight be applied and observed (bounded), so their clients get their
    // answers and watchers their events: a watcher then resumes on the next router from
    // exactly the seq that router starts at (docs/ARCHITECTURE.md "Change streams").
    await this.drainWrites(Math.min(this.config.writeTimeoutMs, DRAIN_MS));
    this.keyWaiters.stop(err);
    this.feed.stop(err);
    this.sequencer.failAll(err);
    this.sequencer.stop();
    this.replicas.failReads(err);
    this.resync.stop();
    const closed = this.admission.stop(err);
    this.replicas.closeAll(err);
    await closed;
    this.phase = 'stopped';
    this.config.logger.info('router stopped');
  }
}
