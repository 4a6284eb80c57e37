import { COMMANDS_BY_OP } from '@kvndb/shared';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DOOR_NAMES } from '../requests/request-stats';
import type { HttpBackend } from './http-context';

/**
 * What the change-feed watchers will report once watch exists (the streams issue). The
 * router hands an object of this shape to HttpServerOptions.watchers and /metrics gains
 * kvndb_watchers and kvndb_watcher_lag_writes; without one they are absent.
 */
export interface WatcherMetricsSource {
  /** Each open watcher: the door it came through and how many writes it is behind. */
  watchers(): Iterable<{ door: string; lagWrites: number }>;
}

/** Connections of the doors other than the router's own port, counted by their servers. */
export interface ConnectionSources {
  resp?: () => number;
  http?: () => number;
}

/** Upper bounds of the latency buckets, in seconds: 50 µs to 10 s. */
const LATENCY_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
const REPLICA_STATES = ['joining', 'syncing', 'in-sync', 'lagging', 'diverged'] as const;

/**
 * The router's Prometheus metrics. Nothing here runs per request: the request path counts
 * in plain numbers (RequestStats) and every metric below reads them, the status and the
 * router's internals in its collect(), at scrape time. Only latency is observed as it
 * happens, on the one request in 16 that RequestStats samples.
 */
export class RouterMetrics {
  readonly registry = new Registry();

  constructor(backend: HttpBackend, connections: ConnectionSources, watchers?: WatcherMetricsSource) {
    const r = this.registry;
    const stats = backend.stats;
    collectDefaultMetrics({ register: r });

    new Counter({
      name: 'kvndb_requests_total',
      help: 'Requests received, by door (native, resp, http) and command.',
      labelNames: ['door', 'command'],
      registers: [r],
      collect() {
        this.reset();
        const ops = stats.requests.length / DOOR_NAMES.length;
        for (let d = 0; d < DOOR_NAMES.length; d++) {
          for (let op = 0; op < ops; op++) {
            const n = stats.requests[d * ops + op];
            if (n > 0) this.inc({ door: DOOR_NAMES[d], command: COMMANDS_BY_OP[op]?.name ?? `op${op}` }, n);
          }
        }
      },
    });
    new Counter({
      name: 'kvndb_request_errors_total',
      help: 'Requests answered with an error, by door and error code.',
      labelNames: ['door', 'code'],
      registers: [r],
      collect() {
        this.reset();
        stats.errors.forEach((m, d) => {
          for (const [code, n] of m) this.inc({ door: DOOR_NAMES[d], code }, n);
        });
      },
    });
    const latency = new Histogram({
      name: 'kvndb_request_duration_seconds',
      help: 'Time from a request reaching the router to its answer, by command (one request in 16 is sampled).',
      labelNames: ['command'],
      buckets: LATENCY_BUCKETS,
      registers: [r],
    });
    const byOp: Array<ReturnType<typeof latency.labels> | undefined> = [];
    stats.observeLatency = (op, seconds) => {
      let child = byOp[op];
      if (child === undefined) child = byOp[op] = latency.labels(COMMANDS_BY_OP[op]?.name ?? `op${op}`);
      child.observe(seconds);
    };
    new Counter({
      name: 'kvndb_auth_failures_total',
      help: 'Failed authentications, by door.',
      labelNames: ['door'],
      registers: [r],
      collect() {
        this.reset();
        const native = backend.internals().nativeAuthFailures;
        if (native > 0) this.inc({ door: 'native' }, native);
        for (let d = 1; d < DOOR_NAMES.length; d++) if (stats.authFailures[d] > 0) this.inc({ door: DOOR_NAMES[d] }, stats.authFailures[d]);
      },
    });
    new Gauge({
      name: 'kvndb_connections',
      help: 'Open connections by kind: native clients, replicas, native handshakes under way, RESP and HTTP.',
      labelNames: ['kind'],
      registers: [r],
      collect() {
        const i = backend.internals();
        this.set({ kind: 'client' }, i.nativeClients);
        this.set({ kind: 'replica' }, i.replicas);
        this.set({ kind: 'handshake' }, i.handshakes);
        if (connections.resp) this.set({ kind: 'resp' }, connections.resp());
        if (connections.http) this.set({ kind: 'http' }, connections.http());
      },
    });
    new Counter({
      name: 'kvndb_writes_sequenced_total',
      help: 'Write requests sequenced into the write stream.',
      registers: [r],
      collect() {
        this.reset();
        this.inc(backend.internals().writesSequenced);
      },
    });
    new Counter({
      name: 'kvndb_reads_total',
      help: 'Read requests sent to replicas.',
      registers: [r],
      collect() {
        this.reset();
        this.inc(backend.internals().readsServed);
      },
    });
    // One status read per scrape feeds the gauges after it. The registry collects in
    // registration order, so this one comes first and they all show one moment.
    new Gauge({
      name: 'kvndb_replicas',
      help: 'Replicas connected.',
      registers: [r],
      collect() {
        const s = backend.status();
        const i = backend.internals();
        this.set(s.replicas.length);
        position.set(s.seq);
        epoch.set(s.epoch);
        backlogBytes.set(i.backlogBytes);
        backlogMax.set(i.backlogMaxBytes);
        backlogOldest.set(i.backlogOldestSeq);
        for (const g of [state, lag, lagBytes, reads, keysDone, keysTotal, bytesDone, ratio]) g.reset();
        for (const rep of s.replicas) {
          const l = { replica: rep.name };
          for (const st of REPLICA_STATES) state.set({ replica: rep.name, state: st }, rep.state === st ? 1 : 0);
          lag.set(l, rep.lag);
          lagBytes.set(l, rep.bufferedBytes);
          reads.set(l, rep.inflightReads);
          if (rep.resync) {
            keysDone.set(l, rep.resync.keysDone);
            bytesDone.set(l, rep.resync.bytesDone);
            if (rep.resync.totalKeys !== undefined) {
              keysTotal.set(l, rep.resync.totalKeys);
              ratio.set(l, rep.resync.totalKeys > 0 ? Math.min(1, rep.resync.keysDone / rep.resync.totalKeys) : 1);
            }
          }
        }
      },
    });

    const position = new Gauge({ name: 'kvndb_seq', help: 'Seq of the newest write sequenced.', registers: [r] });
    const epoch = new Gauge({ name: 'kvndb_epoch', help: "The router's epoch.", registers: [r] });
    const backlogBytes = new Gauge({ name: 'kvndb_backlog_bytes', help: 'Bytes of recent writes kept for incremental catch-up.', registers: [r] });
    const backlogMax = new Gauge({ name: 'kvndb_backlog_max_bytes', help: 'The backlog size limit (--backlog-size).', registers: [r] });
    const backlogOldest = new Gauge({ name: 'kvndb_backlog_oldest_seq', help: 'Seq of the oldest write in the backlog (0: empty).', registers: [r] });

    const labels = ['replica'];
    const state = new Gauge({ name: 'kvndb_replica_state', help: "1 for each replica's current state.", labelNames: ['replica', 'state'], registers: [r] });
    const lag = new Gauge({ name: 'kvndb_replica_lag_writes', help: 'Writes sequenced that the replica has not acknowledged.', labelNames: labels, registers: [r] });
    const lagBytes = new Gauge({ name: 'kvndb_replica_lag_bytes', help: 'Bytes waiting to be sent to the replica.', labelNames: labels, registers: [r] });
    const reads = new Gauge({ name: 'kvndb_replica_inflight_reads', help: 'Reads sent to the replica and not yet answered.', labelNames: labels, registers: [r] });
    const keysDone = new Gauge({ name: 'kvndb_replica_resync_keys_done', help: 'Keys copied so far by the replica’s resync.', labelNames: labels, registers: [r] });
    const keysTotal = new Gauge({ name: 'kvndb_replica_resync_keys_expected', help: 'Keys the resync copies, once known.', labelNames: labels, registers: [r] });
    const bytesDone = new Gauge({ name: 'kvndb_replica_resync_bytes_done', help: 'Bytes copied so far by the resync.', labelNames: labels, registers: [r] });
    const ratio = new Gauge({ name: 'kvndb_replica_resync_progress_ratio', help: 'Fraction of the resync done (0..1), once the total is known.', labelNames: labels, registers: [r] });

    if (watchers) {
      const count = new Gauge({ name: 'kvndb_watchers', help: 'Open watchers, by door.', labelNames: ['door'], registers: [r] });
      new Gauge({
        name: 'kvndb_watcher_lag_writes',
        help: 'The most writes any watcher of the door is behind.',
        labelNames: ['door'],
        registers: [r],
        collect() {
          this.reset();
          count.reset();
          const n = new Map<string, number>();
          const worst = new Map<string, number>();
          for (const w of watchers.watchers()) {
            n.set(w.door, (n.get(w.door) ?? 0) + 1);
            worst.set(w.door, Math.max(worst.get(w.door) ?? 0, w.lagWrites));
          }
          for (const [door, c] of n) count.set({ door }, c);
          for (const [door, l] of worst) this.set({ door }, l);
        },
      });
    }
  }

  /** The text exposition format. */
  async scrape(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
