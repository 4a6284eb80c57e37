#!/usr/bin/env node
'use strict';
/**
 * Native load generator on @kvndb/client.
 *   node bench/native.js [--connections 1] [--pipeline 64] [--value-size 100] [--reads 0.9]
 *                        [--keys 10000] [--duration 10] [--replicas 2] [--port P (use a running router)]
 * Prints ops/s, p50/p99/p99.9 latency and the router's and replicas' CPU and peak RSS.
 */
const { connect } = require('@kvndb/client');
const { startCluster, procStats, percentile, mb, saveResults } = require('./lib');

function args() {
  const a = { connections: 1, pipeline: 64, valueSize: 100, reads: 0.9, keys: 10000, duration: 10, replicas: 2, port: 0 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(k in a)) throw new Error(`unknown option ${argv[i]}`);
    a[k] = Number(argv[i + 1]);
  }
  return a;
}

async function run(opts) {
  const cluster = opts.port ? null : await startCluster({ replicas: opts.replicas });
  const port = opts.port || cluster.port;
  const value = Buffer.alloc(opts.valueSize, 'v');
  const clients = await Promise.all(Array.from({ length: opts.connections }, () => connect({ host: '127.0.0.1', port })));
  // Preload so reads hit.
  for (let i = 0; i < opts.keys; i += 1000) {
    const entries = [];
    for (let j = i; j < Math.min(opts.keys, i + 1000); j++) entries.push([`key:${j}`, value]);
    await clients[0].mset(entries);
  }
  const before = cluster ? [cluster.router, ...cluster.replicas].map((p) => procStats(p.pid)) : [];
  const latencies = [];
  let ops = 0;
  let errors = 0;
  const deadline = Date.now() + opts.duration * 1000;
  const worker = async (db) => {
    while (Date.now() < deadline) {
      const key = `key:${Math.floor(Math.random() * opts.keys)}`;
      const t0 = process.hrtime.bigint();
      try {
        if (Math.random() < opts.reads) await db.getBuffer(key);
        else await db.set(key, value);
        ops++;
        if ((ops & 7) === 0) latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      } catch {
        errors++;
      }
    }
  };
  const started = Date.now();
  await Promise.all(clients.flatMap((db) => Array.from({ length: opts.pipeline }, () => worker(db))));
  const seconds = (Date.now() - started) / 1000;
  const after = cluster ? [cluster.router, ...cluster.replicas].map((p) => procStats(p.pid)) : [];
  await Promise.all(clients.map((db) => db.close()));
  if (cluster) await cluster.stop();
  latencies.sort((x, y) => x - y);
  const result = {
    options: opts,
    opsPerSec: Math.round(ops / seconds),
    errors,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), p999: percentile(latencies, 99.9) },
    processes: after.map((s, i) => ({
      role: i === 0 ? 'router' : `replica-${i}`,
      cpuSec: s && before[i] ? +(s.cpuSec - before[i].cpuSec).toFixed(2) : null,
      peakRssMB: s ? +mb(s.peakRss) : null,
    })),
  };
  return result;
}

async function main() {
  const opts = args();
  const r = await run(opts);
  console.log(
    `native: ${opts.connections} conn x pipeline ${opts.pipeline}, ${opts.valueSize} B values, ${Math.round(opts.reads * 100)}% reads, ${opts.replicas} replicas`,
  );
  console.log(`  ${r.opsPerSec} ops/s, p50 ${r.latencyMs.p50.toFixed(3)} ms, p99 ${r.latencyMs.p99.toFixed(3)} ms, p99.9 ${r.latencyMs.p999.toFixed(3)} ms, errors ${r.errors}`);
  for (const p of r.processes) console.log(`  ${p.role}: cpu ${p.cpuSec} s, peak RSS ${p.peakRssMB} MB`);
  console.log(`  results: ${saveResults('native', r)}`);
}

if (require.main === module) main().catch((err) => { console.error(err); process.exit(1); });
module.exports = { run };
