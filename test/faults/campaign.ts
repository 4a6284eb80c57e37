/**
 * The fault campaign: a real cluster (one router, three SQLite replicas, one of them reached
 * through a fault proxy, and sometimes a memory replica), several clients doing reads,
 * writes and deletes with unique values on a small key set, a seeded schedule of faults,
 * and at the end the checks: linearizability per key, no acknowledged write lost, replicas
 * converged (compared from their SQLite files), and no process died that was not killed.
 *
 * The seed fixes the schedule, the cluster's shape and every client's choice of operations;
 * timing is real, so a replay follows the same script but not the same interleaving.
 * docs/FAULTS.md describes what is injected and checked.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect, KvndbError, type KvndbClient } from '@kvndb/client';
import { KVNDB_BIN, KvndbProcess, sleep, waitUntil } from '../helpers/cluster';
import { checkHistory, fmt, formatViolations, type Op, type Outcome } from './linearizability';
import { FaultProxy } from './proxy';
import { Rng } from './prng';

export interface CampaignOptions {
  seed: number;
  /** Faults in the schedule (default 7). */
  faults?: number;
  /** Concurrent clients, each its own connection (default 5). */
  clients?: number;
  /** Register keys the clients share (default 6). */
  keys?: number;
  /** Counter keys the clients increment (default 2). */
  counters?: number;
  /** Keys the clients set with a short time to live (default 2). */
  ttlKeys?: number;
  /** Include a memory replica; default: the seed decides. */
  memoryReplica?: boolean;
  /** Only these fault kinds (default: all). */
  kinds?: FaultKind[];
  /** Exactly these faults in this order (instead of `faults` picks from `kinds`). */
  sequence?: FaultKind[];
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export interface Anomaly {
  kind: string;
  message: string;
}

export interface CampaignResult {
  seed: number;
  ok: boolean;
  anomalies: Anomaly[];
  ops: number;
  opCounts: Record<string, number>;
  faults: string[];
  operatorActions: string[];
  /** Where the history and logs were written (only when something was found). */
  artifacts?: string;
  durationMs: number;
  summary: string;
}

export const FAULT_KINDS = [
  'kill-replica',
  'pause-replica',
  'pause-router',
  'kill-router',
  'kill-two-replicas',
  'cold-restart',
  'router-restart-during-backoff',
  'stale-replica-router-restart',
  'reset-replica-router-restart',
  'net-cut',
  'net-delay',
  'net-blackhole',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const HEARTBEAT_MS = 500;
/** The longest time to live the workload gives a key. */
const TTL_MAX_MS = 1500;
/** How soon after a key expires the router's sweeper must have removed it (its retry is 1 s). */
const SWEEP_SLACK_MS = 2500;
const JOIN_WINDOW_MS = 1000;
const WRITE_TIMEOUT_MS = 2000;
const CLIENT_TIMEOUT_MS = 3000;
/** A pause this long is beyond the heartbeat: the router (or the replica) gives up on the other. */
const BEYOND_HEARTBEAT_MS = HEARTBEAT_MS * 3 + 400;

/** Error codes that mean the request was definitely not applied. */
const NOT_APPLIED = new Set([
  'NO_REPLICAS', 'BAD_REQUEST', 'TOO_LARGE', 'TOO_MANY_REQUESTS', 'AUTH_FAILED', 'VERSION_MISMATCH', 'NOT_SUPPORTED', 'WRONG_TYPE',
  'NOT_A_NUMBER', 'OVERFLOW', 'NO_SUCH_KEY',
]);
/** Codes the workload never provokes: a counter only ever holds integers, every request is well formed. */
const UNEXPECTED = new Set(['BAD_REQUEST', 'WRONG_TYPE', 'NOT_A_NUMBER', 'OVERFLOW', 'NO_SUCH_KEY', 'PROTOCOL_ERROR']);

/** What the installed `kvndb` binary supports (flags are being added while this runs). */
interface Support {
  stateDir: boolean;
  maxRetryDelay: boolean;
}

let support: Support | undefined;
function detectSupport(): Support {
  if (support) return support;
  const help = (mode: string) => spawnSync(process.execPath, [KVNDB_BIN, mode, '--help'], { encoding: 'utf8' }).stdout ?? '';
  support = { stateDir: help('router').includes('--state-dir'), maxRetryDelay: help('sqlite').includes('--max-retry-delay') };
  return support;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One run of one process. */
interface Incarnation {
  proc: KvndbProcess;
  label: string;
  startedAt: number;
  /** We sent SIGKILL/SIGTERM, so an exit is expected. */
  killed: boolean;
  paused: boolean;
  exitedAt?: number;
}

interface Node {
  name: string;
  kind: 'router' | 'sqlite' | 'memory';
  file?: string;
  viaProxy?: boolean;
  runs: Incarnation[];
}

class Cluster {
  readonly dir: string;
  readonly stateDir: string;
  routerPort = 0;
  readonly proxy: FaultProxy;
  readonly router: Node = { name: 'router', kind: 'router', runs: [] };
  readonly replicas: Node[] = [];
  readonly timeline: string[] = [];
  readonly operatorActions: string[] = [];
  private readonly support = detectSupport();

  constructor(
    readonly t0: number,
    private readonly log: (line: string) => void,
    withMemory: boolean,
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvndb-faults-'));
    this.stateDir = path.join(this.dir, 'router-state');
    fs.mkdirSync(this.stateDir);
    this.proxy = new FaultProxy(0);
    for (let i = 0; i < 3; i++) {
      this.replicas.push({ name: `sql${i}`, kind: 'sqlite', file: path.join(this.dir, `sql${i}.sqlite`), viaProxy: i === 2, runs: [] });
    }
    if (withMemory) this.replicas.push({ name: 'mem0', kind: 'memory', runs: [] });
  }

  now(): number {
    return performance.now() - this.t0;
  }

  note(line: string): void {
    const entry = `${(this.now() / 1000).toFixed(2)}s ${line}`;
    this.timeline.push(entry);
    this.log(entry);
  }

  async init(): Promise<void> {
    this.routerPort = await freePort();
    // The proxy forwards to the router's fixed port.
    this.proxy.targetPort = this.routerPort;
    await this.proxy.start();
  }

  current(node: Node): Incarnation | undefined {
    const run = node.runs[node.runs.length - 1];
    return run && run.proc.running ? run : undefined;
  }

  routerArgs(): string[] {
    const args = [
      'router', '127.0.0.1', String(this.routerPort),
      '--heartbeat', String(HEARTBEAT_MS),
      '--join-window', String(JOIN_WINDOW_MS),
      '--write-timeout', String(WRITE_TIMEOUT_MS),
    ];
    if (this.support.stateDir) args.push('--state-dir', this.stateDir);
    return args;
  }

  async startRouter(bindDeadline = Date.now() + 10_000): Promise<void> {
    if (this.current(this.router)) return;
    const proc = new KvndbProcess(this.routerArgs());
    const run: Incarnation = { proc, label: `router#${this.router.runs.length}`, startedAt: this.now(), killed: false, paused: false };
    this.router.runs.push(run);
    void proc.exited.then(() => (run.exitedAt = this.now()));
    // A restart on the same port right after a kill can race the old socket; retry briefly.
    try {
      await proc.waitFor(/listening on [^\s]*:(\d+)/, 15000);
    } catch (err) {
      // Bounded: another program holding the port for good (seen when a test suite ran
      // beside the campaign and took it) must fail the run, not hang it.
      if (!proc.running && /EADDRINUSE/.test(proc.output) && Date.now() < bindDeadline) {
        run.killed = true; // an expected failure to bind, not a crash
        await sleep(300);
        return this.startRouter(bindDeadline);
      }
      throw err;
    }
  }

  startReplica(node: Node, reset = false): void {
    if (this.current(node)) return;
    const port = node.viaProxy ? this.proxy.port : this.routerPort;
    const args: string[] = [node.kind, '127.0.0.1', String(port)];
    if (node.file) args.push(node.file);
    args.push('--name', node.name);
    if (this.support.maxRetryDelay) args.push('--max-retry-delay', '500');
    if (reset) args.push('--reset');
    const proc = new KvndbProcess(args);
    const run: Incarnation = { proc, label: `${node.name}#${node.runs.length}${reset ? '-reset' : ''}`, startedAt: this.now(), killed: false, paused: false };
    node.runs.push(run);
    void proc.exited.then(() => (run.exitedAt = this.now()));
  }

  async kill(node: Node, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const run = this.current(node);
    if (!run) return;
    run.killed = true;
    if (run.paused && signal !== 'SIGKILL') {
      run.proc.child.kill('SIGCONT');
      run.paused = false;
    }
    if (signal === 'SIGKILL') await run.proc.kill('SIGKILL');
    else await run.proc.stop(5000);
  }

  pause(node: Node): void {
    const run = this.current(node);
    if (!run || run.paused) return;
    run.paused = true;
    run.proc.child.kill('SIGSTOP');
  }

  resume(node: Node): void {
    const run = this.current(node);
    if (!run || !run.paused) return;
    run.paused = false;
    run.proc.child.kill('SIGCONT');
  }

  resumeAll(): void {
    for (const node of [this.router, ...this.replicas]) this.resume(node);
  }

  /** Every process, stopped gracefully (SIGCONT first for a paused one). */
  async stopAll(): Promise<void> {
    this.resumeAll();
    await Promise.all(this.replicas.map((n) => this.kill(n, 'SIGTERM')));
    await this.kill(this.router, 'SIGTERM');
  }

  /** Last resort, whatever happened. */
  async killAll(): Promise<void> {
    for (const node of [this.router, ...this.replicas]) {
      for (const run of node.runs) {
        if (run.proc.running) {
          run.killed = true;
          run.proc.child.kill('SIGCONT');
          run.proc.child.kill('SIGKILL');
        }
      }
    }
    await Promise.all([this.router, ...this.replicas].flatMap((n) => n.runs.map((r) => r.proc.exited)));
    await this.proxy.stop();
  }

  allNodes(): Node[] {
    return [this.router, ...this.replicas];
  }
}

/**
 * A client's loop, every op recorded. On the register keys: get, getEntry, set, a
 * compare-and-set cycle (getEntry, then put with ifVersion the version read), set ifAbsent
 * and del, every written value unique; on the counter keys: incr by 1-5, get and getEntry.
 */
class Worker {
  private stopped = false;
  private done: Promise<void> = Promise.resolve();
  count = 0;
  constructor(
    private readonly id: number,
    private readonly db: KvndbClient,
    private readonly rng: Rng,
    private readonly keys: string[],
    private readonly counterKeys: string[],
    private readonly ttlKeys: string[],
    private readonly history: Op[],
    private readonly nextId: () => number,
    private readonly now: () => number,
    private readonly anomalies: Anomaly[],
  ) {}

  start(): this {
    this.done = this.loop();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  private op(key: string, kind: Op['kind'], call: string): Op {
    return { id: this.nextId(), client: this.id, key, kind, call, invoke: 0, complete: 0, outcome: 'ok' };
  }

  /** Runs one call and records it; false when it failed (whether or not it may have applied). */
  private async record(op: Op, call: () => Promise<void>): Promise<boolean> {
    op.invoke = this.now();
    let ok = true;
    try {
      await call();
      op.complete = this.now();
    } catch (err) {
      op.complete = this.now();
      const code = err instanceof KvndbError ? err.code : 'UNKNOWN';
      op.error = code;
      op.outcome = op.kind === 'read' || NOT_APPLIED.has(code) ? 'failed' : ('indeterminate' as Outcome);
      if (code === 'INTERNAL') this.anomalies.push({ kind: 'internal-error', message: `${fmt(op)}: ${(err as Error).message}` });
      else if (UNEXPECTED.has(code)) this.anomalies.push({ kind: 'unexpected-error', message: `${fmt(op)}: ${(err as Error).message}` });
      ok = false;
    }
    this.history.push(op);
    this.count++;
    return ok;
  }

  private async loop(): Promise<void> {
    let n = 0;
    const db = this.db;
    while (!this.stopped) {
      let ok: boolean;
      const roll = this.rng.next();
      if (this.ttlKeys.length > 0 && this.rng.chance(0.04)) {
        // Short-lived keys: the router's sweeper removes them with ordered writes, which every
        // replica must apply alike through the faults. Not read: expiry is judged by the
        // router's clock, which the history's clock is not.
        const key = this.rng.pick(this.ttlKeys);
        const op = this.op(key, 'write', 'setTtl');
        op.value = `c${this.id}-${n++}`;
        const ttlMs = this.rng.int(100, TTL_MAX_MS);
        ok = await this.record(op, async () => {
          await db.set(key, op.value as string, { ttlMs });
        });
      } else if (this.counterKeys.length > 0 && this.rng.chance(0.2)) {
        const key = this.rng.pick(this.counterKeys);
        if (roll < 0.75) {
          const op = this.op(key, 'incr', 'incr');
          op.by = this.rng.int(1, 5);
          ok = await this.record(op, async () => {
            op.result = await db.incr(key, op.by);
          });
        } else ok = await this.read(key, roll < 0.9 ? 'get' : 'getEntry');
      } else {
        const key = this.rng.pick(this.keys);
        const value = () => `c${this.id}-${n++}`;
        if (roll < 0.3) ok = await this.read(key, 'get');
        else if (roll < 0.42) ok = await this.read(key, 'getEntry');
        else if (roll < 0.7) {
          const op = this.op(key, 'write', 'set');
          op.value = value();
          ok = await this.record(op, async () => {
            await db.set(key, op.value as string);
          });
        } else if (roll < 0.85) {
          // Compare-and-set on the version just read (0 when missing).
          const read = this.op(key, 'read', 'getEntry');
          ok = await this.record(read, async () => {
            Object.assign(read, await readEntry(db, key));
          });
          if (ok) {
            const op = this.op(key, 'write', 'put');
            op.value = value();
            op.ifVersion = read.version;
            ok = await this.record(op, async () => {
              const r = await db.put(key, op.value as string, { ifVersion: op.ifVersion });
              op.applied = r.applied;
              if (r.applied) op.version = r.version;
            });
          }
        } else if (roll < 0.89) {
          const op = this.op(key, 'write', 'setIfAbsent');
          op.value = value();
          op.ifAbsent = true;
          ok = await this.record(op, async () => {
            op.applied = await db.set(key, op.value as string, { ifAbsent: true });
          });
        } else {
          const op = this.op(key, 'delete', 'del');
          ok = await this.record(op, async () => {
            op.existed = await db.del(key);
          });
        }
      }
      if (!ok) await sleep(20 + this.rng.int(0, 30));
      else if (this.rng.chance(0.3)) await sleep(this.rng.int(0, 3));
    }
  }

  private read(key: string, call: 'get' | 'getEntry'): Promise<boolean> {
    const op = this.op(key, 'read', call);
    return this.record(op, async () => {
      if (call === 'get') {
        op.value = await this.db.get(key);
      } else {
        Object.assign(op, await readEntry(this.db, key));
      }
    });
  }
}

/** getEntry as the history records it: the value as text (null: missing) and the version (0: missing). */
async function readEntry(db: KvndbClient, key: string): Promise<{ value: string | null; version: number }> {
  // getEntry's declared type also admits mgetEntries' immediate answer to no keys.
  const e = (await db.getEntry(key)) as { value: Buffer; version: number } | null;
  return e === null ? { value: null, version: 0 } : { value: e.value.toString('utf8'), version: e.version };
}

const CRASH_PATTERNS: [RegExp, string][] = [
  [/\bINTERNAL\b/, 'INTERNAL'],
  [/^\s+at .+:\d+:\d+\)?\s*$/m, 'stack trace'],
  [/Uncaught|Unhandled|FATAL ERROR|Segmentation fault/i, 'crash'],
];

function describeExit(run: Incarnation): string {
  const how = run.proc.signal ? `signal ${run.proc.signal}` : `exit code ${run.proc.exitCode}`;
  const when = run.exitedAt === undefined ? '' : ` at ${(run.exitedAt / 1000).toFixed(2)}s`;
  return `${how}${when}, started at ${(run.startedAt / 1000).toFixed(2)}s`;
}

/** Run one seeded campaign. Never throws for what it finds; always stops every process. */
export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const seed = options.seed >>> 0;
  const rng = new Rng(seed);
  const schedule = rng.fork(1000);
  const faultCount = options.sequence?.length ?? options.faults ?? 7;
  const clientCount = options.clients ?? 5;
  const keys = Array.from({ length: options.keys ?? 6 }, (_, i) => `k${i}`);
  const counterKeys = Array.from({ length: options.counters ?? 2 }, (_, i) => `n${i}`);
  const ttlKeys = Array.from({ length: options.ttlKeys ?? 2 }, (_, i) => `t${i}`);
  const withMemory = options.memoryReplica ?? schedule.chance(0.5);
  const kinds: readonly FaultKind[] = options.kinds ?? FAULT_KINDS;
  const log = options.log ?? ((line: string) => process.stderr.write(`[faults seed=${seed}] ${line}\n`));

  const t0 = performance.now();
  const cluster = new Cluster(t0, log, withMemory);
  const history: Op[] = [];
  const anomalies: Anomaly[] = [];
  const faults: string[] = [];
  let opId = 0;
  const nextId = () => opId++;
  const now = () => cluster.now();
  const clients: KvndbClient[] = [];
  const workers: Worker[] = [];
  let admin = null as KvndbClient | null;
  let converged = false;
  let convergedAt = 0;

  const status = async () => {
    admin ??= await connect({ host: '127.0.0.1', port: cluster.routerPort, requestTimeoutMs: 2000, maxReconnectDelayMs: 200, name: 'admin' });
    return admin.status();
  };

  try {
    await cluster.init();
    const support = detectSupport();
    cluster.note(
      `seed ${seed}: router port ${cluster.routerPort}, proxy ${cluster.proxy.port} -> sql2, replicas ${cluster.replicas.map((r) => r.name).join(' ')}, ` +
        `${faultCount} faults, ${clientCount} clients, ${keys.length} keys, ${counterKeys.length} counters, ${ttlKeys.length} expiring; --state-dir ${support.stateDir ? 'yes' : 'unsupported'}, ` +
        `--max-retry-delay ${support.maxRetryDelay ? 'yes' : 'unsupported'}; dir ${cluster.dir}`,
    );
    await cluster.startRouter();
    for (const r of cluster.replicas) cluster.startReplica(r);
    await waitUntil(
      'every replica is in sync at the start',
      async () => (await status()).replicas.filter((r) => r.state === 'in-sync').length === cluster.replicas.length,
      30000,
    );
    for (let i = 0; i < clientCount; i++) {
      const db = await connect({ host: '127.0.0.1', port: cluster.routerPort, requestTimeoutMs: CLIENT_TIMEOUT_MS, maxReconnectDelayMs: 300, name: `c${i}` });
      clients.push(db);
      workers.push(new Worker(i, db, rng.fork(i), keys, counterKeys, ttlKeys, history, nextId, now, anomalies).start());
    }
    await sleep(1500);

    for (let f = 0; f < faultCount; f++) {
      const kind = options.sequence ? options.sequence[f] : schedule.pick(kinds);
      const description = await injectFault(kind, cluster, schedule, status);
      faults.push(`${(cluster.now() / 1000).toFixed(1)}s ${description}`);
      await sleep(schedule.int(1200, 2500));
    }

    // Heal everything.
    cluster.note('heal: proxy healed, every process resumed and running');
    cluster.proxy.heal();
    cluster.resumeAll();
    await cluster.startRouter();
    for (const r of cluster.replicas) cluster.startReplica(r);
    await sleep(1000);
    for (const w of workers) await w.stop();
    cluster.note(`clients stopped after ${history.length} operations`);

    // The last short-lived keys expire and the sweeper removes them before the replicas are compared.
    if (ttlKeys.length) await sleep(TTL_MAX_MS + SWEEP_SLACK_MS);
    converged = await waitForConvergence(cluster, status, anomalies);
    convergedAt = Date.now();

    // Final reads from a fresh client, part of the history.
    const fresh = await connect({ host: '127.0.0.1', port: cluster.routerPort, requestTimeoutMs: 5000, name: 'final' });
    clients.push(fresh);
    for (const key of [...keys, ...counterKeys]) {
      let done = false;
      for (let attempt = 0; attempt < 5 && !done; attempt++) {
        const op: Op = { id: nextId(), client: -1, key, kind: 'read', call: 'getEntry', invoke: now(), complete: 0, outcome: 'ok', tag: 'final' };
        try {
          Object.assign(op, await readEntry(fresh, key));
          op.complete = now();
          history.push(op);
          done = true;
        } catch (err) {
          await sleep(500);
          if (attempt === 4) anomalies.push({ kind: 'final-read-failed', message: `final read of ${key}: ${String(err)}` });
        }
      }
    }
  } catch (err) {
    anomalies.push({ kind: 'campaign-error', message: `the campaign itself failed: ${(err as Error).stack ?? String(err)}` });
  } finally {
    for (const w of workers) await w.stop().catch(() => undefined);
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await admin?.close().catch(() => undefined);
    try {
      await cluster.stopAll();
    } catch {
      /* killAll below */
    }
    await cluster.killAll();
  }

  // (d) no process died that was not killed; no crash output.
  for (const node of cluster.allNodes()) {
    for (const run of node.runs) {
      if (!run.killed) {
        anomalies.push({ kind: 'unexpected-exit', message: `${run.label} exited on its own (${describeExit(run)}); last output:\n${tail(run.proc.output, 15)}` });
      } else if (run.proc.exitCode !== null && run.proc.exitCode !== 0 && !/EADDRINUSE/.test(run.proc.output)) {
        anomalies.push({ kind: 'unclean-exit', message: `${run.label} exited with code ${run.proc.exitCode} when stopped; last output:\n${tail(run.proc.output, 15)}` });
      }
      for (const [pattern, what] of CRASH_PATTERNS) {
        const m = run.proc.output.match(pattern);
        if (m) {
          const at = run.proc.output.indexOf(m[0]);
          anomalies.push({ kind: 'crash-output', message: `${run.label} printed ${what}:\n${run.proc.output.slice(Math.max(0, at - 600), at + 600)}` });
          break;
        }
      }
    }
  }

  // (a) + (b) linearizability per key, including the final reads (a stale final read is a lost write).
  const check = checkHistory(history);
  if (!check.ok) {
    for (const v of check.violations) anomalies.push({ kind: v.kind === 'lost-write' ? 'lost-write' : `linearizability:${v.kind}`, message: `key ${v.key}: ${v.message}` });
  }
  if (check.inconclusiveKeys.length) anomalies.push({ kind: 'linearizability-inconclusive', message: `search budget exhausted for ${check.inconclusiveKeys.join(', ')}` });

  // (c) replicas converge: identical SQLite files, every key's value, version, updated time
  // and expiry, equal to the final reads (value and version).
  const dumps: ({ name: string } & ReplicaFile)[] = [];
  for (const r of cluster.replicas) {
    if (!r.file) continue;
    try {
      dumps.push({ name: r.name, ...readReplicaFile(r.file) });
    } catch (err) {
      anomalies.push({ kind: 'divergence', message: `cannot read ${r.name}'s file ${r.file}: ${String(err)}` });
    }
  }
  if (converged && dumps.length > 1) {
    const [first, ...rest] = dumps;
    for (const d of rest) {
      if (d.epoch !== first.epoch || d.seq !== first.seq) {
        anomalies.push({ kind: 'divergence', message: `${d.name} is at (${d.epoch}, ${d.seq}), ${first.name} at (${first.epoch}, ${first.seq})` });
      }
      const diff = diffEntries(first.entries, d.entries);
      if (diff.length) anomalies.push({ kind: 'divergence', message: `${d.name} differs from ${first.name}: ${diff.slice(0, 5).join('; ')}` });
    }
    // The router's clock is never behind this one, so these keys were expired by its time too.
    const overdue = [...first.entries].filter(([, e]) => e.expires > 0 && e.expires < convergedAt - SWEEP_SLACK_MS);
    if (overdue.length) {
      anomalies.push({
        kind: 'expired-not-swept',
        message:
          `${first.name} still holds ${overdue.length} keys that expired more than ${SWEEP_SLACK_MS} ms before the replicas converged: ` +
          overdue.slice(0, 5).map(([k, e]) => `${k} expired ${convergedAt - e.expires} ms before`).join(', '),
      });
    }
    for (const o of history.filter((x) => x.tag === 'final' && x.outcome === 'ok')) {
      const stored = first.entries.get(o.key);
      const value = stored === undefined ? null : Buffer.from(stored.value, 'base64').toString('utf8');
      const version = stored?.version ?? 0;
      if (value !== o.value || (o.version !== undefined && version !== o.version)) {
        anomalies.push({
          kind: 'divergence',
          message: `${first.name}'s file holds ${o.key}=${JSON.stringify(value)} version ${version} but the final read returned ${JSON.stringify(o.value)} version ${o.version}`,
        });
      }
    }
  }

  const opCounts: Record<string, number> = {};
  for (const o of history) {
    // A refused conditional write is a success of its own kind: the workload should see both.
    const k = `${o.call ?? o.kind}${o.applied === false ? '-refused' : ''}:${o.outcome}`;
    opCounts[k] = (opCounts[k] ?? 0) + 1;
  }
  const durationMs = performance.now() - t0;
  const summary =
    `seed ${seed}: ${anomalies.length ? `${anomalies.length} ANOMALIES` : 'ok'} in ${(durationMs / 1000).toFixed(1)}s, ` +
    `${history.length} ops (${Object.entries(opCounts).map(([k, v]) => `${k} ${v}`).join(', ')}), faults: ${faults.map((f) => f.replace(/^\S+ /, '')).join(', ')}` +
    (check.boundedKeys.length ? `; counters checked by the bounded checks (search budget): ${check.boundedKeys.join(', ')}` : '') +
    (cluster.operatorActions.length ? `; operator actions: ${cluster.operatorActions.join('; ')}` : '');
  const result: CampaignResult = {
    seed,
    ok: anomalies.length === 0,
    anomalies,
    ops: history.length,
    opCounts,
    faults,
    operatorActions: cluster.operatorActions,
    durationMs,
    summary,
  };
  if (anomalies.length || cluster.operatorActions.length) {
    // Operator actions are no anomaly, but what led to them is worth reading.
    result.artifacts = writeArtifacts(cluster, seed, history, anomalies, faults, check.ok ? '' : formatViolations(check, 20));
    log(`${anomalies.length ? 'ANOMALIES' : 'operator actions'} (seed ${seed}), history and logs in ${result.artifacts}`);
  }
  // The artifacts hold copies of the replicas' files; the run's own directory goes.
  fs.rmSync(cluster.dir, { recursive: true, force: true });
  log(summary);
  return result;
}

type StatusFn = () => Promise<Awaited<ReturnType<KvndbClient['status']>>>;

/** One fault, injected and recovered from. Returns what was done. */
async function injectFault(kind: FaultKind, c: Cluster, rng: Rng, status: StatusFn): Promise<string> {
  const replicas = c.replicas;
  const sqlite = replicas.filter((r) => r.kind === 'sqlite');
  const say = (what: string) => {
    c.note(`fault ${what}`);
    return what;
  };
  switch (kind) {
    case 'kill-replica': {
      const r = rng.pick(replicas);
      const reset = r.kind === 'sqlite' && rng.chance(0.3);
      const down = rng.int(200, 2000);
      const what = say(`kill-replica ${r.name}, restart after ${down} ms${reset ? ' with --reset' : ''}`);
      await c.kill(r);
      await sleep(down);
      c.startReplica(r, reset);
      return what;
    }
    case 'pause-replica': {
      const r = rng.pick(replicas);
      const ms = BEYOND_HEARTBEAT_MS + rng.int(0, 1500);
      const what = say(`pause-replica ${r.name} (SIGSTOP) for ${ms} ms`);
      c.pause(r);
      await sleep(ms);
      c.resume(r);
      return what;
    }
    case 'pause-router': {
      const ms = BEYOND_HEARTBEAT_MS + rng.int(0, 1500);
      const what = say(`pause-router (SIGSTOP) for ${ms} ms`);
      c.pause(c.router);
      await sleep(ms);
      c.resume(c.router);
      return what;
    }
    case 'kill-router': {
      const down = rng.int(0, 1500);
      const what = say(`kill-router, restart on the same port after ${down} ms`);
      await c.kill(c.router);
      await sleep(down);
      await c.startRouter();
      return what;
    }
    case 'kill-two-replicas': {
      const victims = rng.shuffle(replicas).slice(0, 2);
      const delays = victims.map(() => rng.int(200, 2500));
      const what = say(`kill-two-replicas ${victims.map((v, i) => `${v.name} (back after ${delays[i]} ms)`).join(' and ')}`);
      await Promise.all(victims.map((v) => c.kill(v)));
      await Promise.all(
        victims.map(async (v, i) => {
          await sleep(delays[i]);
          c.startReplica(v);
        }),
      );
      return what;
    }
    case 'cold-restart': {
      const signal: NodeJS.Signals = rng.chance(0.5) ? 'SIGKILL' : 'SIGTERM';
      const order = rng.shuffle([c.router, ...replicas]);
      const gaps = order.map(() => rng.int(0, 2500));
      const what = say(`cold-restart (${signal} all), start order ${order.map((n, i) => `${n.name}+${gaps[i]}ms`).join(' ')}`);
      c.resumeAll();
      await Promise.all([...replicas, c.router].map((n) => c.kill(n, signal)));
      await sleep(300);
      for (let i = 0; i < order.length; i++) {
        await sleep(gaps[i]);
        if (order[i] === c.router) await c.startRouter();
        else c.startReplica(order[i]);
      }
      return what;
    }
    case 'router-restart-during-backoff': {
      const down = rng.int(3000, 6000);
      const what = say(`router-restart-during-backoff: kill-router, replicas back off for ${down} ms, restart`);
      await c.kill(c.router);
      await sleep(down);
      await c.startRouter();
      return what;
    }
    case 'stale-replica-router-restart': {
      const r = rng.pick(sqlite);
      // Down long enough, the healthy replicas sit in their reconnect backoff while the
      // stale one, resumed with the router, reconnects at once.
      const down = rng.chance(0.5) ? rng.int(0, 500) : rng.int(2500, 5500);
      const what = say(
        `stale-replica-router-restart: pause ${r.name} until dropped, writes go on, kill-router, ` +
          `after ${down} ms restart it and resume ${r.name} together`,
      );
      c.pause(r);
      await sleep(BEYOND_HEARTBEAT_MS);
      await waitUntil(
        `${r.name} is dropped`,
        async () => !(await status()).replicas.some((s) => s.name === r.name && s.state === 'in-sync'),
        5000,
      ).catch(() => c.note(`  ${r.name} was not dropped within 5 s`));
      await sleep(rng.int(500, 1500));
      await c.kill(c.router);
      await sleep(down);
      const routerUp = c.startRouter();
      c.resume(r);
      await routerUp;
      return what;
    }
    case 'reset-replica-router-restart': {
      // Issue 12: a --reset replica came first while the one holding the data was frozen.
      const [reset, frozen] = rng.shuffle(sqlite);
      const down = rng.int(0, 3000);
      const frozenMs = JOIN_WINDOW_MS + rng.int(500, 2500);
      const what = say(
        `reset-replica-router-restart: kill-router and ${reset.name}; after ${down} ms restart the router, ` +
          `${reset.name} with --reset, and freeze ${frozen.name} for ${frozenMs} ms`,
      );
      await Promise.all([c.kill(c.router), c.kill(reset)]);
      await sleep(down);
      c.pause(frozen);
      const routerUp = c.startRouter();
      c.startReplica(reset, true);
      await routerUp;
      await sleep(frozenMs);
      c.resume(frozen);
      return what;
    }
    case 'net-cut': {
      const ms = rng.int(500, 4000);
      const what = say(`net-cut of the link to sql2 for ${ms} ms`);
      c.proxy.cut();
      await sleep(ms);
      c.proxy.heal();
      return what;
    }
    case 'net-delay': {
      const delay = rng.int(50, 600);
      const ms = rng.int(1500, 4000);
      const what = say(`net-delay of ${delay} ms on the link to sql2 for ${ms} ms`);
      c.proxy.delay(delay);
      await sleep(ms);
      c.proxy.heal();
      return what;
    }
    case 'net-blackhole': {
      const ms = rng.int(1000, 4000);
      const what = say(`net-blackhole of the link to sql2 for ${ms} ms`);
      c.proxy.blackhole();
      await sleep(ms);
      c.proxy.heal();
      return what;
    }
  }
}

/**
 * Waits until every replica is in sync at the router's seq. A replica the router reports as
 * diverged / in conflict is restarted with --reset: the documented operator step, recorded
 * as an operator action rather than an anomaly.
 */
async function waitForConvergence(c: Cluster, status: StatusFn, anomalies: Anomaly[]): Promise<boolean> {
  const names = c.replicas.map((r) => r.name);
  const inSync = async () => {
    const s = await status();
    return names.every((n) => s.replicas.some((r) => r.name === n && r.state === 'in-sync' && r.seq === s.seq));
  };
  const routerRun = c.current(c.router);
  const logFrom = routerRun ? routerRun.proc.output.length : 0;
  for (let round = 0; round < 3; round++) {
    try {
      await waitUntil('every replica is in sync at the router seq', inSync, 25000);
      c.note('converged: every replica in sync at the router seq');
      return true;
    } catch {
      /* see who is out of service and why */
    }
    let s: Awaited<ReturnType<StatusFn>> | undefined;
    try {
      s = await status();
    } catch {
      s = undefined;
    }
    const routerLog = (c.current(c.router)?.proc.output ?? '').slice(logFrom);
    let acted = false;
    for (const r of c.replicas) {
      const st = s?.replicas.find((x) => x.name === r.name);
      if (st && st.state === 'in-sync' && s && st.seq === s.seq) continue;
      const state = st ? String(st.state) : 'absent';
      // \brefus: "refuses the wipe", never ECONNREFUSED.
      const mentioned = routerLog.split('\n').filter((l) => l.includes(r.name) && /conflict|diverg|\bahead of\b|\brefus/i.test(l));
      const own = (c.current(r)?.proc.output ?? r.runs[r.runs.length - 1]?.proc.output ?? '').split('\n').filter((l) => /conflict|diverg|\brefus/i.test(l));
      if (/conflict|diverg/i.test(state) || mentioned.length || own.length) {
        const why = [`state ${state}`, ...mentioned.slice(-2), ...own.slice(-2)].join(' | ');
        c.operatorActions.push(`restart ${r.name} with --reset (${why})`);
        c.note(`operator: ${r.name} is out of service (${why}); restarting it with --reset`);
        await c.kill(r, 'SIGTERM');
        c.startReplica(r, true);
        acted = true;
      }
    }
    if (!acted) break;
  }
  let dump = '';
  try {
    dump = JSON.stringify(await status(), null, 1);
  } catch (err) {
    dump = `status failed: ${String(err)}`;
  }
  anomalies.push({ kind: 'no-convergence', message: `replicas did not all get in sync at the router's seq; status: ${dump}` });
  return false;
}

/** A key as a SQLite replica stores it: the value (base64) and what it carries. */
interface StoredEntry {
  value: string;
  version: number;
  updated: number;
  expires: number;
}

interface ReplicaFile {
  epoch: number;
  seq: number;
  entries: Map<string, StoredEntry>;
}

/** A SQLite replica's file, read directly (the process is stopped): every key with its metadata, and its position. */
function readReplicaFile(file: string): ReplicaFile {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3');
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const entries = new Map<string, StoredEntry>();
    const rows = db.prepare('SELECT key, value, version, updated, expires FROM kv ORDER BY key').iterate() as Iterable<{
      key: string;
      value: Buffer;
      version: number;
      updated: number;
      expires: number;
    }>;
    for (const row of rows) {
      entries.set(row.key, { value: Buffer.from(row.value).toString('base64'), version: row.version, updated: row.updated, expires: row.expires });
    }
    const meta = db.prepare('SELECT epoch, seq FROM meta').get() as { epoch: number; seq: number } | undefined;
    return { entries, epoch: meta?.epoch ?? 0, seq: meta?.seq ?? 0 };
  } finally {
    db.close();
  }
}

function diffEntries(a: Map<string, StoredEntry>, b: Map<string, StoredEntry>): string[] {
  const out: string[] = [];
  const show = (e: StoredEntry | undefined) =>
    e === undefined ? 'missing' : `${JSON.stringify(Buffer.from(e.value, 'base64').toString('utf8'))} v${e.version} updated ${e.updated} expires ${e.expires}`;
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(k);
    const y = b.get(k);
    if (x?.value !== y?.value || x?.version !== y?.version || x?.updated !== y?.updated || x?.expires !== y?.expires) out.push(`${k}: ${show(x)} vs ${show(y)}`);
  }
  return out;
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Lines of a router's log that tell the story of adoption and resync. */
const STORY = /adopt|source of truth|full resync|epoch|conflict|diverg|refus|waiting|wait|dropp|join|error|warn/i;

function writeArtifacts(c: Cluster, seed: number, history: Op[], anomalies: Anomaly[], faults: string[], violations: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kvndb-faults-seed-${seed}-`));
  fs.mkdirSync(path.join(dir, 'logs'));
  fs.writeFileSync(path.join(dir, 'history.json'), JSON.stringify(history.map((o) => ({ ...o, complete: o.outcome === 'indeterminate' ? null : o.complete }))));
  fs.writeFileSync(path.join(dir, 'timeline.txt'), [...c.timeline, '', 'proxy:', ...c.proxy.events].join('\n') + '\n');
  const story: string[] = [];
  for (const node of c.allNodes()) {
    node.runs.forEach((run) => {
      fs.writeFileSync(path.join(dir, 'logs', `${run.label}.log`), `kvndb ${run.proc.args.join(' ')}\n${describeExit(run)}\n\n${run.proc.output}`);
      if (node === c.router) {
        for (const line of run.proc.output.split('\n')) if (STORY.test(line)) story.push(`${run.label}: ${line}`);
      }
    });
  }
  const report = [
    `seed ${seed}`,
    `replay: FAULT_SEED=${seed} npm run faults`,
    '',
    'faults:',
    ...faults.map((f) => `  ${f}`),
    '',
    'anomalies:',
    ...anomalies.map((a) => `  [${a.kind}] ${a.message}`),
    '',
    'operator actions:',
    ...c.operatorActions.map((a) => `  ${a}`),
    '',
    violations ? `checker:\n${violations}\n` : '',
    'router log (adoption, resync, errors):',
    ...story.slice(0, 400),
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'report.txt'), report + '\n');
  // Keep the replicas' files for inspection.
  for (const r of c.replicas) {
    if (r.file && fs.existsSync(r.file)) fs.copyFileSync(r.file, path.join(dir, path.basename(r.file)));
  }
  return dir;
}

/** Seeds from the environment: FAULT_SEED=S replays one; FAULT_SEEDS=N runs N (random unless FAULT_SEED_BASE). */
export function seedsFromEnv(defaultCount: number): number[] {
  if (process.env.FAULT_SEED) return process.env.FAULT_SEED.split(',').map((s) => Number(s.trim()) >>> 0);
  const count = Number(process.env.FAULT_SEEDS ?? defaultCount);
  const base = process.env.FAULT_SEED_BASE ? Number(process.env.FAULT_SEED_BASE) : Math.floor(Math.random() * 1e9);
  return Array.from({ length: count }, (_, i) => (base + i) >>> 0);
}
