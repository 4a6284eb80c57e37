import { DEFAULT_POP_WAITERS } from './blocking/pop-waiters';
import {
  DEFAULT_LIMITS,
  DEFAULT_PORT,
  KvndbError,
  MAX_HEARTBEAT_MS,
  MIN_HEARTBEAT_MS,
  defaultHost,
  silentLogger,
  validHeartbeat,
  type Limits,
  type Logger,
  type TlsMaterial,
  type TransportType,
} from '@kvndb/shared';
import { DEFAULT_SESSION_OPTIONS, type ClientSessionOptions } from './admission/client-session';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from './admission/handshake';
import { DEFAULT_WATERMARKS, type Watermarks } from './replicas/replica-link';
import { DEFAULT_RESYNC_WINDOW } from './sync/full-resync';
import type { WriteAckPolicy } from './writes/write-sequencer';
import { DEFAULT_PUBSUB_OUTPUT_LIMIT, type OutputLimit } from './pubsub/output-limit';
import { parseNotifyFlags } from './pubsub/keyspace-events';

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
  /** Blocking pops waiting per connection (default 1024) and on the whole router (default 100000); more are TOO_MANY_REQUESTS. */
  maxBlockedPopsPerConnection?: number;
  maxBlockedPops?: number;
  /** Close a client whose frame has been arriving for longer than this (slowloris); default 30000, 0 = never. */
  frameTimeoutMs?: number;
  /** Unsent answers one client may accumulate before it is disconnected, default 256 MiB. */
  clientOutputLimitBytes?: number;
  /** Failed handshakes per address waiting for their delayed answer before new ones are refused, default 16. */
  maxPendingAuthFailures?: number;
  /** Watches open at once, every connection together, default 10000 (more: TOO_MANY_REQUESTS). */
  maxWatchers?: number;
  /** Watches open at once on one connection, default 1000. */
  maxWatchesPerClient?: number;
  /** Blocked reads (get with waitMs, wait) at once, every connection together, default 100000. */
  maxBlockedReads?: number;
  /** Blocked reads at once on one connection, default 1000. */
  maxBlockedReadsPerClient?: number;
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
  /**
   * Redis's notify-keyspace-events flags (KEA, Ex, ...): keyspace notifications from the
   * write stream. Default '' (off: writes are not observed at all). CONFIG SET changes it.
   */
  notifyKeyspaceEvents?: string;
  /** Redis's client-output-buffer-limit for subscribers; default pubsub 32mb 8mb 60. */
  pubsubOutputLimit?: OutputLimit;
}

function positiveInt(name: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isSafeInteger(v) || v < 1) throw KvndbError.badRequest(`${name} must be a positive integer, got ${String(v)}`);
  return v;
}

const DEFAULT_BACKLOG_BYTES = 64 * 1024 * 1024;
const DEFAULT_HEARTBEAT_MS = 5000;

/** RouterOptions checked, with every default filled in. */
export interface RouterConfig {
  logger: Logger;
  limits: Limits;
  host: string;
  port: number;
  type: TransportType;
  tls: TlsMaterial | undefined;
  clientSecret: string;
  replicaSecret: string;
  writeAck: WriteAckPolicy;
  writeTimeoutMs: number;
  readTimeoutMs: number;
  handshakeTimeoutMs: number;
  session: ClientSessionOptions;
  maxConnections: number;
  maxPendingAuthFailures: number;
  heartbeatMs: number;
  backlogBytes: number;
  maxWatchers: number;
  maxWatchesPerClient: number;
  maxBlockedReads: number;
  maxBlockedReadsPerClient: number;
  watermarks: Watermarks;
  stateFile: string | undefined;
  acceptDataLoss: boolean;
  joinWindowMs: number;
  expectReplicas: number | undefined;
  resyncWindow: number;
  resyncRateBytesPerSec: number | undefined;
  resyncProgressIntervalMs: number;
  blockingPops: { maxPerConnection: number; maxTotal: number };
  notifyKeyspaceEvents: number;
  pubsubOutputLimit: OutputLimit;
}

/** Check `options` (BAD_REQUEST naming the first wrong one) and fill in the defaults. */
export function routerConfig(options: RouterOptions): RouterConfig {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  for (const name of ['maxKeyBytes', 'maxValueBytes', 'maxFrameBytes'] as const) {
    const v = limits[name];
    if (!Number.isSafeInteger(v) || v <= 0) throw KvndbError.badRequest(`${name} must be a positive integer, got ${String(v)}`);
  }
  const type = options.type ?? 'tcp';
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw KvndbError.badRequest(`port must be an integer from 0 to 65535, got ${String(options.port)}`);
  }
  const clientSecret = options.password ?? '';
  const writeAck = options.writeAck ?? 'majority';
  if (!['one', 'majority', 'all'].includes(writeAck)) {
    throw KvndbError.badRequest(`write-ack must be one, majority or all, got ${String(options.writeAck)}`);
  }
  const writeTimeoutMs = positive('writeTimeoutMs', options.writeTimeoutMs, 10_000);
  const readTimeoutMs = positive('readTimeoutMs', options.readTimeoutMs, writeTimeoutMs);
  const handshakeTimeoutMs = positive('handshakeTimeoutMs', options.handshakeTimeoutMs, DEFAULT_HANDSHAKE_TIMEOUT_MS);
  const so = { ...DEFAULT_SESSION_OPTIONS };
  so.maxInflight = positive('maxInflightPerClient', options.maxInflightPerClient, so.maxInflight);
  so.idleTimeoutMs = nonNegative('idleTimeoutMs', options.idleTimeoutMs, so.idleTimeoutMs);
  so.frameTimeoutMs = nonNegative('frameTimeoutMs', options.frameTimeoutMs, so.frameTimeoutMs);
  so.outputLimitBytes = positive('clientOutputLimitBytes', options.clientOutputLimitBytes, so.outputLimitBytes);
  // Pausing must start before the hard limit, or a client would be cut off instead of slowed.
  so.highWaterBytes = Math.min(so.highWaterBytes, Math.floor(so.outputLimitBytes / 2));
  so.lowWaterBytes = Math.min(so.lowWaterBytes, Math.floor(so.highWaterBytes / 4));
  const maxConnections = positive('maxConnections', options.maxConnections, 10_000);
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  if (heartbeatMs !== 0 && !validHeartbeat(heartbeatMs)) {
    throw KvndbError.badRequest(
      `heartbeatMs must be 0 (off) or a whole number of ms from ${MIN_HEARTBEAT_MS} to ${MAX_HEARTBEAT_MS}, got ${String(options.heartbeatMs)}`,
    );
  }
  const maxPendingAuthFailures = positive('maxPendingAuthFailures', options.maxPendingAuthFailures, 16);
  const backlogBytes = positive('backlogBytes', options.backlogBytes, DEFAULT_BACKLOG_BYTES);
  const watermarks = { ...DEFAULT_WATERMARKS, ...options.replicaWatermarks };
  // A resync's tail is replayed from the backlog in one go: that alone must not trip the hard limit.
  watermarks.hard = Math.max(watermarks.hard, backlogBytes + watermarks.high);
  if (!(watermarks.low <= watermarks.high)) {
    throw KvndbError.badRequest(`replicaWatermarks: low (${watermarks.low}) must not be above high (${watermarks.high})`);
  }
  return {
    logger: options.logger ?? silentLogger(),
    limits,
    host: options.host ?? defaultHost(type),
    port,
    type,
    tls: options.tls,
    clientSecret,
    replicaSecret: options.replicaPassword ?? clientSecret,
    writeAck,
    writeTimeoutMs,
    readTimeoutMs,
    handshakeTimeoutMs,
    session: so,
    maxConnections,
    maxPendingAuthFailures,
    heartbeatMs,
    backlogBytes,
    maxWatchers: positive('maxWatchers', options.maxWatchers, 10_000),
    maxWatchesPerClient: positive('maxWatchesPerClient', options.maxWatchesPerClient, 1000),
    maxBlockedReads: positive('maxBlockedReads', options.maxBlockedReads, 100_000),
    maxBlockedReadsPerClient: positive('maxBlockedReadsPerClient', options.maxBlockedReadsPerClient, 1000),
    watermarks,
    stateFile: options.stateFile,
    blockingPops: {
      maxPerConnection: positiveInt('maxBlockedPopsPerConnection', options.maxBlockedPopsPerConnection, DEFAULT_POP_WAITERS.maxPerConnection),
      maxTotal: positiveInt('maxBlockedPops', options.maxBlockedPops, DEFAULT_POP_WAITERS.maxTotal),
    },
    acceptDataLoss: !!options.acceptDataLoss,
    joinWindowMs: options.joinWindowMs ?? 2000,
    expectReplicas: options.expectReplicas,
    resyncWindow: positive('resyncWindow', options.resyncWindow, DEFAULT_RESYNC_WINDOW),
    resyncRateBytesPerSec: options.resyncRateBytesPerSec,
    resyncProgressIntervalMs: options.resyncProgressIntervalMs ?? 5000,
    notifyKeyspaceEvents: notifyFlags(options.notifyKeyspaceEvents ?? ''),
    pubsubOutputLimit: outputLimit(options.pubsubOutputLimit),
  };
}

function notifyFlags(text: string): number {
  const flags = parseNotifyFlags(text);
  if (typeof flags !== 'number') throw KvndbError.badRequest(`notify-keyspace-events ${JSON.stringify(text)}: ${flags.error}`);
  return flags;
}

function outputLimit(limit: OutputLimit | undefined): OutputLimit {
  if (limit === undefined) return { ...DEFAULT_PUBSUB_OUTPUT_LIMIT };
  for (const name of ['hard', 'soft', 'softSeconds'] as const) nonNegative(`pubsubOutputLimit.${name}`, limit[name], 0);
  return { ...limit };
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
