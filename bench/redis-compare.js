#!/usr/bin/env node
'use strict';
/**
 * Side by side with Redis: the same redis-benchmark loads, in the same run, against a
 * redis-server on loopback and against kvndb's RESP front door with 1 and with 2 memory
 * replicas, and against `kvndb standalone` (router and SQLite replica in one process, the
 * replica inline on the router's thread: what `npm start` runs), and against a bare
 * single-process Node.js RESP server (bench/bare-node-server.js: the runtime's floor, what
 * Node itself allows on this machine with no replication at all). The tests are SET, GET,
 * INCR and SET ... EX. Prints ops/s and p50 for each (median over --rounds, default 3), and the
 * kvndb/Redis ratio; saves JSON. `--thread` also runs a standalone with its SQLite replica on its
 * own thread (`--embedded-replica thread`) as the target "standalone thread".
 * Skips (exit 0) with a clear message when redis-server or redis-benchmark is missing.
 */
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { startProcess, startCluster, waitFor, stop, freePort, has, saveResults, startStandalone } = require('./lib');

const LOADS = [
  { name: '-c 50 -P 1', args: ['-c', '50', '-P', '1'], n: 200000 },
  { name: '-c 50 -P 16', args: ['-c', '50', '-P', '16'], n: 1000000 },
  { name: '-c 1', args: ['-c', '1', '-P', '1'], n: 30000 },
];

/** The tests of each load: redis-benchmark's own (-t) and SET with a time to live (a session store's write). */
const TESTS = ['SET', 'GET', 'INCR', 'SET EX'];
/** A 100-byte value, as -d 100 gives the built-in tests. */
const VALUE = 'x'.repeat(100);

function runBenchmark(port, load, extra) {
  const r = spawnSync('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-n', String(load.n), '-d', '100', '-r', '100000', '--csv', ...load.args, ...extra], {
    encoding: 'utf8',
    timeout: 300000,
  });
  if (r.status !== 0) throw new Error(`redis-benchmark failed: ${r.stderr || r.stdout}`);
  const lines = r.stdout.trim().split('\n').map((l) => l.split(',').map((f) => f.replace(/^"|"$/g, '')));
  const header = lines[0];
  return lines.slice(1).map((row) => Object.fromEntries(header.map((h, i) => [h, row[i]])));
}

function redisBenchmark(port, load) {
  const out = {};
  for (const rec of runBenchmark(port, load, ['-t', 'set,get,incr'])) out[rec.test] = { rps: Number(rec.rps), p50: Number(rec.p50_latency_ms) };
  // A command given on the line is benchmarked under its own text as the test name.
  for (const rec of runBenchmark(port, load, ['SET', 'ttl:__rand_int__', VALUE, 'EX', '300'])) {
    out['SET EX'] = { rps: Number(rec.rps), p50: Number(rec.p50_latency_ms) };
  }
  return out;
}

async function startKvndb(replicas) {
  const respPort = await freePort();
  const cluster = await startCluster({ replicas, routerArgs: ['--resp-port', String(respPort), '--write-ack', 'majority'] });
  await waitFor(cluster.router, /RESP .*listening/);
  return { respPort, stop: () => cluster.stop() };
}

function median(values) {
  const v = [...values].sort((a, b) => a - b);
  return v[Math.floor((v.length - 1) / 2)];
}

function roundsArg() {
  const i = process.argv.indexOf('--rounds');
  const n = i >= 0 ? Number(process.argv[i + 1]) : 3;
  if (!Number.isInteger(n) || n < 1) throw new Error('--rounds needs a positive integer');
  return n;
}

async function main() {
  if (!has('redis-server') || !has('redis-benchmark')) {
    console.log('redis-compare: skipped: redis-server and redis-benchmark are not installed (Debian: apt-get install redis-server redis-tools, or bash scripts/install-system-deps.sh)');
    return;
  }
  const rounds = roundsArg();
  const thread = process.argv.includes('--thread');
  // All three targets run at once (idle ones cost nothing) and every load is run against
  // each of them back to back, round after round: the machine drifting during the run
  // then affects Redis and kvndb alike. Each figure is the median over the rounds.
  const redisPort = await freePort();
  const redis = startProcess('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no']);
  const barePort = await freePort();
  const bare = startProcess(process.execPath, [path.join(__dirname, 'bare-node-server.js'), String(barePort)]);
  const clusters = [];
  const samples = {};
  try {
    await waitFor(redis, /Ready to accept connections/i);
    await waitFor(bare, /listening/);
    for (const replicas of [1, 2]) clusters.push({ replicas, ...(await startKvndb(replicas)) });
    clusters.push({ replicas: 'standalone', ...(await startStandalone()) });
    if (thread) clusters.push({ replicas: 'standalone thread', ...(await startStandalone(['--embedded-replica', 'thread'])) });
    const targets = [
      { name: 'redis', port: redisPort },
      { name: 'kvndb-bare node', port: barePort },
      ...clusters.map((c) => ({ name: `kvndb-${c.replicas}`, port: c.respPort })),
    ];
    for (let round = 1; round <= rounds; round++) {
      for (const load of LOADS) {
        for (const t of targets) {
          const r = redisBenchmark(t.port, load);
          for (const [test, v] of Object.entries(r)) (samples[`${t.name} ${load.name} ${test}`] ??= []).push(v);
        }
      }
      console.log(`round ${round}/${rounds} done`);
    }
  } finally {
    await stop(redis);
    await stop(bare);
    for (const c of clusters) await c.stop();
  }
  const pick = (key) => ({ rps: median(samples[key].map((v) => v.rps)), p50: median(samples[key].map((v) => v.p50)) });
  const rows = [];
  for (const load of LOADS) {
    for (const test of TESTS) {
      const r = pick(`redis ${load.name} ${test}`);
      for (const replicas of ['bare node', 1, 2, 'standalone', ...(thread ? ['standalone thread'] : [])]) {
        const k = pick(`kvndb-${replicas} ${load.name} ${test}`);
        rows.push({ load: load.name, test, replicas, redisRps: r.rps, kvndbRps: k.rps, ratio: +(k.rps / r.rps).toFixed(2), redisP50: r.p50, kvndbP50: k.p50, p50Ratio: +(k.p50 / r.p50).toFixed(2) });
      }
    }
  }
  console.log(`median of ${rounds} round(s):`);
  console.log('| load | test | target | Redis ops/s | ops/s | /Redis | Redis p50 ms | p50 ms | p50 ratio |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.load} | ${r.test} | ${r.replicas} | ${Math.round(r.redisRps)} | ${Math.round(r.kvndbRps)} | ${r.ratio} | ${r.redisP50} | ${r.kvndbP50} | ${r.p50Ratio} |`);
  }
  // The four-way table (issue 17): the runtime's floor beside Redis, the router path and standalone.
  console.log('\nops/s side by side (router = router + 1 memory replica; standalone = what npm start runs):');
  console.log('| load | test | Redis | bare Node | router | standalone | router/bare | standalone/Redis | standalone/bare | standalone/router |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  const r2 = (a, b) => (a / b).toFixed(2);
  for (const load of LOADS) {
    for (const test of TESTS) {
      const redisRps = pick(`redis ${load.name} ${test}`).rps;
      const bareRps = pick(`kvndb-bare node ${load.name} ${test}`).rps;
      const routerRps = pick(`kvndb-1 ${load.name} ${test}`).rps;
      const aloneRps = pick(`kvndb-standalone ${load.name} ${test}`).rps;
      const k = (v) => `${Math.round(v / 1000)}k`;
      console.log(
        `| ${load.name} | ${test} | ${k(redisRps)} | ${k(bareRps)} | ${k(routerRps)} | ${k(aloneRps)} | ${r2(routerRps, bareRps)} | ${r2(aloneRps, redisRps)} | ${r2(aloneRps, bareRps)} | ${r2(aloneRps, routerRps)} |`,
      );
    }
  }
  console.log(`results: ${saveResults('redis-compare', { rounds, rows, samples })}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
