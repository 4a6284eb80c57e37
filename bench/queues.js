#!/usr/bin/env node
'use strict';
/**
 * Queues side by side with Redis: the same loads, in the same run, against a redis-server on
 * loopback, kvndb's RESP door with one memory replica, and `kvndb standalone` (router and
 * SQLite replica in one process).
 *
 * 1. redis-benchmark's own list tests (LPUSH, RPUSH, LPOP, RPOP) at -c 50 -P 1 and -P 16.
 * 2. Blocking pops with waiting consumers: --consumers connections (default 20) loop on
 *    BLPOP, --producers connections (default 4) LPUSH values stamped with the time they were
 *    pushed, for --duration seconds (default 5). Reports values delivered per second and the
 *    push-to-pop latency (p50, p99), and checks that every value pushed was popped once.
 * Prints a table, saves JSON. Skips (exit 0) when redis-server or redis-benchmark is missing.
 */
const { spawnSync } = require('node:child_process');
const Redis = require('ioredis');
const { startProcess, startCluster, waitFor, stop, freePort, has, saveResults, startStandalone, percentile } = require('./lib');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} needs a positive number`);
  return n;
}

const CONSUMERS = arg('consumers', 20);
const PRODUCERS = arg('producers', 4);
const DURATION_S = arg('duration', 5);
const LOADS = [
  { name: '-c 50 -P 1', args: ['-c', '50', '-P', '1'], n: 50000 },
  { name: '-c 50 -P 16', args: ['-c', '50', '-P', '16'], n: 200000 },
];

function listBenchmark(port, load) {
  const r = spawnSync('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-n', String(load.n), '-d', '100', '--csv', '-t', 'lpush,rpush,lpop,rpop', ...load.args], {
    encoding: 'utf8',
    timeout: 300000,
  });
  if (r.status !== 0) throw new Error(`redis-benchmark failed: ${r.stderr || r.stdout}`);
  const lines = r.stdout.trim().split('\n').map((l) => l.split(',').map((f) => f.replace(/^"|"$/g, '')));
  const header = lines[0];
  const out = {};
  for (const row of lines.slice(1)) {
    const rec = Object.fromEntries(header.map((h, i) => [h, row[i]]));
    out[rec.test] = { rps: Number(rec.rps), p50: Number(rec.p50_latency_ms) };
  }
  return out;
}

/** Consumers blocked in BLPOP, producers pushing: delivered/s and push-to-pop latency. */
async function blockingLoad(port) {
  const key = `bq:${process.pid}:${Date.now()}`;
  const conns = [];
  const open = () => {
    const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, enableOfflineQueue: true });
    conns.push(c);
    return c;
  };
  const latencies = [];
  const seen = new Set();
  let duplicates = 0;
  let pushed = 0;
  let stopping = false;
  try {
    const consumers = Array.from({ length: CONSUMERS }, open);
    const producers = Array.from({ length: PRODUCERS }, open);
    await Promise.all(conns.map((c) => c.ping()));
    const consuming = consumers.map(async (c) => {
      while (!stopping) {
        const r = await c.blpop(key, 0.5);
        if (r === null) continue;
        const [id, t] = r[1].split('@');
        if (seen.has(id)) duplicates++;
        seen.add(id);
        latencies.push(Number(process.hrtime.bigint() - BigInt(t)) / 1e6);
      }
    });
    const started = Date.now();
    const producing = producers.map(async (c, p) => {
      for (let i = 0; Date.now() - started < DURATION_S * 1000; i++) {
        await c.lpush(key, `${p}-${i}@${process.hrtime.bigint()}`);
        pushed++;
      }
    });
    await Promise.all(producing);
    const pushEnd = Date.now();
    // Let the consumers take what is left, then stop them.
    for (let i = 0; i < 100 && seen.size < pushed; i++) await new Promise((r) => setTimeout(r, 50));
    stopping = true;
    await Promise.all(consuming);
    const sorted = latencies.sort((a, b) => a - b);
    return {
      pushed,
      delivered: seen.size,
      duplicates,
      perSec: Math.round(seen.size / ((pushEnd - started) / 1000)),
      p50: +percentile(sorted, 50).toFixed(2),
      p99: +percentile(sorted, 99).toFixed(2),
    };
  } finally {
    for (const c of conns) c.disconnect();
  }
}

async function main() {
  if (!has('redis-server') || !has('redis-benchmark')) {
    console.log('queues: skipped: redis-server and redis-benchmark are not installed (Debian: apt-get install redis-server redis-tools)');
    return;
  }
  const redisPort = await freePort();
  const redis = startProcess('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no']);
  const stops = [];
  const rows = [];
  const blocking = [];
  try {
    await waitFor(redis, /Ready to accept connections/i);
    const respPort = await freePort();
    const cluster = await startCluster({ replicas: 1, routerArgs: ['--resp-port', String(respPort), '--write-ack', 'majority'] });
    stops.push(() => cluster.stop());
    await waitFor(cluster.router, /RESP .*listening/);
    const standalone = await startStandalone();
    stops.push(() => standalone.stop());
    const targets = [
      { name: 'redis', port: redisPort },
      { name: 'kvndb-1', port: respPort },
      { name: 'kvndb-standalone', port: standalone.respPort },
    ];
    for (const load of LOADS) {
      const results = targets.map((t) => listBenchmark(t.port, load));
      for (const test of Object.keys(results[0])) {
        for (let i = 1; i < targets.length; i++) {
          const r = results[0][test];
          const k = results[i][test];
          rows.push({ load: load.name, test, target: targets[i].name, redisRps: r.rps, kvndbRps: k.rps, ratio: +(k.rps / r.rps).toFixed(2), redisP50: r.p50, kvndbP50: k.p50 });
        }
      }
    }
    for (const t of targets) blocking.push({ target: t.name, consumers: CONSUMERS, producers: PRODUCERS, ...(await blockingLoad(t.port)) });
  } finally {
    await stop(redis);
    for (const s of stops) await s();
  }
  console.log('| load | test | target | Redis ops/s | ops/s | /Redis | Redis p50 ms | p50 ms |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.load} | ${r.test} | ${r.target} | ${Math.round(r.redisRps)} | ${Math.round(r.kvndbRps)} | ${r.ratio} | ${r.redisP50} | ${r.kvndbP50} |`);
  console.log(`\nBLPOP with ${CONSUMERS} waiting consumers, LPUSH from ${PRODUCERS} producers, ${DURATION_S} s:`);
  console.log('| target | pushed | delivered | duplicates | delivered/s | push-to-pop p50 ms | p99 ms |');
  console.log('|---|---|---|---|---|---|---|');
  for (const b of blocking) console.log(`| ${b.target} | ${b.pushed} | ${b.delivered} | ${b.duplicates} | ${b.perSec} | ${b.p50} | ${b.p99} |`);
  console.log(`results: ${saveResults('queues', { rows, blocking })}`);
  if (blocking.some((b) => b.duplicates > 0 || b.delivered !== b.pushed)) {
    console.error('queues: a value was delivered twice or not at all');
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
