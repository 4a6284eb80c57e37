/**
 * Starts real kvndb processes through the `kvndb` binary on loopback ephemeral ports and
 * always stops them: every process is tracked, and stopAll() (called from afterEach /
 * afterAll) kills whatever is left, pass or fail. A process exit handler is the last net.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connect, type ConnectOptions, type KvndbClient } from '@kvndb/client';

export const KVNDB_BIN = path.resolve(__dirname, '../../packages/cli/dist/bin.js');

const live = new Set<KvndbProcess>();
process.on('exit', () => {
  for (const p of live) p.child.kill('SIGKILL');
});

export class KvndbProcess {
  readonly child: ChildProcess;
  output = '';
  exitCode: number | null = null;
  signal: NodeJS.Signals | null = null;
  readonly exited: Promise<void>;

  constructor(readonly args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [KVNDB_BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(this);
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
      if (this.output.length > 2_000_000) this.output = this.output.slice(-1_000_000);
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitCode = code;
        this.signal = signal;
        live.delete(this);
        resolve();
      });
    });
  }

  get running(): boolean {
    return this.exitCode === null && this.signal === null;
  }

  /** Resolves with the first match of `pattern` in the output (searching from `from`). */
  async waitFor(pattern: RegExp, timeoutMs = 15000, from = 0): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.output.slice(from).match(pattern);
      if (m) return m;
      if (!this.running) throw new Error(`kvndb ${this.args.join(' ')} exited before printing ${pattern}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} from kvndb ${this.args.join(' ')}:\n${this.output}`);
      await sleep(20);
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited within the grace period. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop(2000)));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting until ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await sleep(50);
  }
}

export function tempDir(prefix = 'kvndb-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * A free port below the kernel's ephemeral range (32768 and up on Linux), for a router that
 * restarts on the same port: while it is down, no outgoing connection or port-0 listener
 * of another test can be handed that port.
 */
export async function stablePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

export interface RouterHandle {
  proc: KvndbProcess;
  port: number;
}

/** The state directory of the router last started on each port, so a restart on that port remembers its history. */
const routerStateDirs = new Map<number, string>();

/**
 * Starts `kvndb router 127.0.0.1 PORT` (0 = ephemeral) and waits until it listens. Unless
 * the arguments name one, it gets a --state-dir of its own, which a later router on the
 * same port reuses: a restart in a test is a restart with the router's state.
 */
export async function startRouter(extraArgs: string[] = [], port = 0, env: Record<string, string> = {}): Promise<RouterHandle> {
  const stateArgs: string[] = [];
  let stateDir: string | undefined;
  if (!extraArgs.includes('--state-dir')) {
    stateDir = (port !== 0 && routerStateDirs.get(port)) || tempDir('kvndb-router-state-');
    stateArgs.push('--state-dir', stateDir);
  }
  const windowArgs = extraArgs.includes('--join-window') ? [] : ['--join-window', '300'];
  const proc = new KvndbProcess(['router', '127.0.0.1', String(port), ...windowArgs, ...stateArgs, ...extraArgs], env);
  const m = await proc.waitFor(/listening on [^\s]*:(\d+)/);
  const bound = Number(m[1]);
  if (stateDir) routerStateDirs.set(bound, stateDir);
  return { proc, port: bound };
}

/** A loopback port free right now (for a door's --resp-port / --http-port). */
export function freePort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A router that also speaks RESP (`--resp-port` on a free port); resolves once both listen. */
export async function startRouterWithResp(extraArgs: string[] = []): Promise<RouterHandle & { respPort: number }> {
  const respPort = await freePort();
  const router = await startRouter(['--resp-port', String(respPort), ...extraArgs]);
  await router.proc.waitFor(/RESP .*listening/);
  return { ...router, respPort };
}

/** A router that also serves HTTP (`--http-port` on a free port); resolves once both listen. */
export async function startRouterWithHttp(
  extraArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<RouterHandle & { httpPort: number; url: string }> {
  const httpPort = await freePort();
  const router = await startRouter(['--http-port', String(httpPort), ...extraArgs], 0, env);
  const m = await router.proc.waitFor(/HTTP listening on (https?:\/\/\S+\/)/);
  return { ...router, httpPort, url: m[1] };
}

export type ReplicaKind = 'memory' | 'sqlite';

export function startReplica(
  kind: ReplicaKind,
  routerPort: number,
  options: { name?: string; file?: string; args?: string[]; env?: Record<string, string> } = {},
): KvndbProcess {
  const args: string[] = [kind, '127.0.0.1', String(routerPort)];
  if (kind === 'sqlite') args.push(options.file ?? path.join(tempDir(), 'replica.sqlite'));
  if (options.name) args.push('--name', options.name);
  args.push(...(options.args ?? []));
  return new KvndbProcess(args, options.env);
}

export async function client(port: number, options: ConnectOptions = {}): Promise<KvndbClient> {
  return connect({ host: '127.0.0.1', port, requestTimeoutMs: 10000, ...options });
}

const opened = new Set<KvndbClient>();

/** A client that closeClients() closes: call that in afterEach, so it closes pass or fail. */
export async function openClient(port: number, options: ConnectOptions = {}): Promise<KvndbClient> {
  const db = await client(port, options);
  opened.add(db);
  return db;
}

export async function closeClients(): Promise<void> {
  const all = [...opened];
  opened.clear();
  await Promise.all(all.map((db) => db.close().catch(() => undefined)));
}

/** Waits until the router reports `count` replicas in sync (optionally with these names). */
export async function waitInSync(db: KvndbClient, count: number, timeoutMs = 30000): Promise<void> {
  await waitUntil(
    `${count} replicas are in sync`,
    async () => (await db.status()).replicas.filter((r) => r.state === 'in-sync').length >= count,
    timeoutMs,
  );
}

/** Every key and value a replica-backed cluster serves, read through the client, page by page. */
export async function dumpThroughClient(db: KvndbClient): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const keys: string[] = [];
  for await (const key of db.scanKeys('')) keys.push(key);
  for (let i = 0; i < keys.length; i += 500) {
    const slice = keys.slice(i, i + 500);
    const values = await db.mgetBuffer(slice);
    slice.forEach((k, j) => {
      const v = values[j];
      if (v) out.set(k, v.toString('base64'));
    });
  }
  return out;
}

/**
 * Full key/value contents of a SQLite replica's file, read directly (WAL allows a reader
 * beside the running replica). Values as base64 so maps compare with toEqual.
 */
export function readSqliteReplica(file: string): { contents: Map<string, string>; epoch: number; seq: number } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3');
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const contents = new Map<string, string>();
    for (const row of db.prepare('SELECT key, value FROM kv ORDER BY key').iterate() as Iterable<{ key: string; value: Buffer }>) {
      contents.set(row.key, Buffer.from(row.value).toString('base64'));
    }
    const meta = db.prepare('SELECT epoch, seq FROM meta').get() as { epoch: number; seq: number } | undefined;
    return { contents, epoch: meta?.epoch ?? 0, seq: meta?.seq ?? 0 };
  } finally {
    db.close();
  }
}

/** Waits until every listed replica is in sync at the router's current seq. */
export async function waitConverged(db: KvndbClient, names: string[], timeoutMs = 60000): Promise<number> {
  let seq = 0;
  await waitUntil(
    `replicas ${names.join(', ')} are in sync at the router's seq`,
    async () => {
      const s = await db.status();
      seq = s.seq;
      return names.every((n) => s.replicas.some((r) => r.name === n && r.state === 'in-sync' && r.seq === s.seq));
    },
    timeoutMs,
  );
  return seq;
}

/** Writes keys in a loop until stopped; records every write the router acknowledged. */
export class Writer {
  readonly acked = new Map<string, string>();
  errors = 0;
  private stopped = false;
  private done: Promise<void> = Promise.resolve();

  constructor(private readonly db: KvndbClient, private readonly prefix = 'w:', private readonly concurrency = 4) {}

  start(): this {
    let n = 0;
    const loop = async () => {
      while (!this.stopped) {
        const i = n++;
        const key = `${this.prefix}${i % 5000}`;
        const value = `v${i}`;
        try {
          await this.db.set(key, value);
          // Later writes to one key are sequenced after earlier ones from the same loop only;
          // record the latest acknowledged value per key by write number.
          const prev = this.acked.get(key);
          if (!prev || Number(prev.slice(1)) < i) this.acked.set(key, value);
        } catch {
          this.errors++;
          await sleep(20);
        }
      }
    };
    this.done = Promise.all(Array.from({ length: this.concurrency }, loop)).then(() => undefined);
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

/** Every replica file holds exactly the same keys and values, at the same position. */
export function expectIdentical(files: string[]): Map<string, string> {
  const dumps = files.map((f) => readSqliteReplica(f));
  for (const d of dumps.slice(1)) {
    expect(d.seq).toBe(dumps[0].seq);
    expect(d.contents.size).toBe(dumps[0].contents.size);
    expect(d.contents).toEqual(dumps[0].contents);
  }
  return dumps[0].contents;
}

/** Every write the writer saw acknowledged is present (or overwritten by a later write of the same loop). */
export function expectAckedPresent(contents: Map<string, string>, writer: Writer): void {
  const missing: string[] = [];
  for (const [key, value] of writer.acked) {
    const stored = contents.get(key);
    const storedValue = stored === undefined ? undefined : Buffer.from(stored, 'base64').toString();
    if (storedValue === undefined || Number(storedValue.slice(1)) < Number(value.slice(1))) missing.push(`${key}=${value} (have ${storedValue})`);
  }
  expect(missing.slice(0, 10)).toEqual([]);
}

export function sqliteCluster(dir: string, names: string[], port: number, extra: string[] = []): { procs: KvndbProcess[]; files: string[] } {
  const files = names.map((n) => path.join(dir, `${n}.sqlite`));
  const procs = names.map((n, i) => startReplica('sqlite', port, { name: n, file: files[i], args: extra }));
  return { procs, files };
}

/**
 * A router with a RESP port (and `password`, if given) and one memory replica, in sync:
 * what a Redis client test needs. Stop it with stopAll().
 */
export async function startRespCluster(password?: string): Promise<RouterHandle & { respPort: number }> {
  const router = await startRouterWithResp(password ? ['--password', password] : []);
  startReplica('memory', router.port, { name: 'm1', env: password ? { KVNDB_PASSWORD: password } : {} });
  const db = await client(router.port, { password });
  try {
    await waitInSync(db, 1);
  } finally {
    await db.close();
  }
  return router;
}
