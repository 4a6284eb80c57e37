'use strict';
/** Shared pieces of the benchmark scripts: processes, resource sampling, percentiles, results. */
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const KVNDB_BIN = path.join(ROOT, 'packages/cli/dist/bin.js');
const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

function startProcess(cmd, args, options = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.add(child);
  child.output = '';
  const collect = (c) => {
    child.output += c.toString();
    if (child.output.length > 200000) child.output = child.output.slice(-100000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  child.exitedPromise = new Promise((resolve) => child.on('exit', () => { children.delete(child); resolve(); }));
  return child;
}

/**
 * Extra node flags for the kvndb processes, e.g. KVNDB_BENCH_NODE_ARGS="--cpu-prof
 * --cpu-prof-dir=/tmp/prof" to profile router and replicas under load (node refuses
 * --cpu-prof in NODE_OPTIONS).
 */
const NODE_ARGS = (process.env.KVNDB_BENCH_NODE_ARGS || '').split(/\s+/).filter(Boolean);

function kvndb(args, options) {
  return startProcess(process.execPath, [...NODE_ARGS, KVNDB_BIN, ...args], options);
}

async function waitFor(child, pattern, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = child.output.match(pattern);
    if (m) return m;
    if (child.exitCode !== null) throw new Error(`process exited early:\n${child.output}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${child.output}`);
    await sleep(20);
  }
}

async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  await child.exitedPromise;
  clearTimeout(t);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** CPU seconds (user+sys) and peak RSS (VmHWM) of a process, from /proc. */
function procStats(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = Number((status.match(/VmHWM:\s+(\d+)/) || [])[1] || 0) * 1024;
    const rss = Number((status.match(/VmRSS:\s+(\d+)/) || [])[1] || 0) * 1024;
    return { cpuSec: ticks / 100, peakRss: hwm, rss };
  } catch {
    return null;
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function mb(bytes) {
  return (bytes / 1024 / 1024).toFixed(1);
}

function has(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function saveResults(name, data) {
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = path.join(dir, `${name}-${stamp}.json`);
  const body = JSON.stringify({ name, at: new Date().toISOString(), node: process.version, ...data }, null, 2);
  fs.writeFileSync(file, body);
  fs.writeFileSync(path.join(dir, `${name}-latest.json`), body);
  return file;
}

/** A router's own state directory, so benchmark routers leave no state file in the working directory. */
function routerStateArgs() {
  return ['--state-dir', fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'kvndb-bench-state-'))];
}

/** Start a router and `replicas` replicas of `kind`; resolves once all are in sync. */
async function startCluster({ replicas = 1, kind = 'memory', routerArgs = [], dir } = {}) {
  const port = await freePort();
  const router = kvndb(['router', '127.0.0.1', String(port), '--join-window', '200', ...routerStateArgs(), ...routerArgs]);
  await waitFor(router, /listening on/);
  const reps = [];
  for (let i = 0; i < replicas; i++) {
    const args = [kind, '127.0.0.1', String(port), '--name', `${kind}-${i + 1}`];
    if (kind === 'sqlite') args.splice(3, 0, path.join(dir, `bench-${i + 1}.sqlite`));
    reps.push(kvndb(args));
  }
  const { connect } = require('@kvndb/client');
  const db = await connect({ host: '127.0.0.1', port });
  for (let i = 0; i < 600; i++) {
    const s = await db.status();
    if (s.replicas.filter((r) => r.state === 'in-sync').length >= replicas) break;
    await sleep(50);
  }
  await db.close();
  return {
    port,
    router,
    replicas: reps,
    async stop() {
      await Promise.all(reps.map(stop));
      await stop(router);
    },
  };
}

/**
 * `kvndb standalone` with its RESP door and its SQLite file in a temporary directory,
 * removed at stop; resolves once its replica is ready.
 */
async function startStandalone(extraArgs = []) {
  const [port, respPort] = [await freePort(), await freePort()];
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'kvndb-bench-standalone-'));
  const child = kvndb(['standalone', '127.0.0.1', String(port), '--data', dir, '--resp-port', String(respPort), ...extraArgs]);
  const cleanUp = async () => {
    await stop(child);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(child, /RESP .*listening/);
    await waitFor(child, /ready|in-sync|adopting/i);
  } catch (err) {
    await cleanUp();
    throw err;
  }
  return { respPort, stop: cleanUp };
}

module.exports = { ROOT, KVNDB_BIN, kvndb, routerStateArgs, startProcess, waitFor, stop, sleep, freePort, procStats, percentile, mb, has, saveResults, startCluster, startStandalone };
