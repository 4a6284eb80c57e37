#!/usr/bin/env node
'use strict';
/**
 * Full resync benchmark: a SQLite source replica holding N keys (default 1,000,000 with
 * 100-byte values) and a fresh joiner (SQLite, then memory). Reports time to in-sync and
 * peak RSS of router, source and joiner.  node bench/resync.js [--keys N] [--value-size B]
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { SqliteStore } = require('@kvndb/replica');
const { connect } = require('@kvndb/client');
const { kvndb, routerStateArgs, waitFor, stop, sleep, freePort, procStats, mb, saveResults } = require('./lib');

function option(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

function buildSource(file, keys, valueSize) {
  const store = new SqliteStore(file, { sync: 'normal' });
  const value = Buffer.alloc(valueSize, 'r');
  let seq = 0;
  for (let i = 0; i < keys; i += 10000) {
    const ops = [];
    for (let j = i; j < Math.min(keys, i + 10000); j++) ops.push(['s', `key:${String(j).padStart(8, '0')}`, value]);
    store.apply([{ epoch: 1, seq: ++seq, ops }]);
  }
  store.close();
}

async function resyncOnce(sourceFile, joinerKind, dir, keys) {
  const port = await freePort();
  const router = kvndb(['router', '127.0.0.1', String(port), '--join-window', '200', ...routerStateArgs()]);
  await waitFor(router, /listening on/);
  const source = kvndb(['sqlite', '127.0.0.1', String(port), sourceFile, '--name', 'source']);
  const db = await connect({ host: '127.0.0.1', port });
  const inSync = async (name) => {
    for (;;) {
      const s = await db.status();
      const r = s.replicas.find((x) => x.name === name);
      if (r && r.state === 'in-sync') return s;
      await sleep(25);
    }
  };
  await inSync('source');
  const args = [joinerKind, '127.0.0.1', String(port)];
  if (joinerKind === 'sqlite') args.push(path.join(dir, `joiner-${Date.now()}.sqlite`));
  args.push('--name', 'joiner');
  const t0 = Date.now();
  const joiner = kvndb(args);
  const peaks = { router: 0, source: 0, joiner: 0 };
  const sample = setInterval(() => {
    for (const [k, p] of Object.entries({ router, source, joiner })) {
      const s = procStats(p.pid);
      if (s) peaks[k] = Math.max(peaks[k], s.peakRss);
    }
  }, 100);
  await inSync('joiner');
  const seconds = (Date.now() - t0) / 1000;
  clearInterval(sample);
  for (const [k, p] of Object.entries({ router, source, joiner })) {
    const s = procStats(p.pid);
    if (s) peaks[k] = Math.max(peaks[k], s.peakRss);
  }
  const count = (await db.status()).replicas.find((r) => r.name === 'joiner');
  await db.close();
  await Promise.all([stop(joiner), stop(source)]);
  await stop(router);
  return { joiner: joinerKind, keys, seconds, keysPerSec: Math.round(keys / seconds), peakRssMB: { router: +mb(peaks.router), source: +mb(peaks.source), joiner: +mb(peaks.joiner) }, joinerSeq: count && count.seq };
}

async function main() {
  const keys = option('keys', 1_000_000);
  const valueSize = option('value-size', 100);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvndb-bench-resync-'));
  const sourceFile = path.join(dir, 'source.sqlite');
  const t0 = Date.now();
  buildSource(sourceFile, keys, valueSize);
  console.log(`resync: built a SQLite source of ${keys} keys x ${valueSize} B in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const results = [];
  for (const kind of ['sqlite', 'memory']) {
    const r = await resyncOnce(sourceFile, kind, dir, keys);
    results.push(r);
    console.log(
      `  sqlite -> ${kind}: ${r.seconds.toFixed(2)} s (${r.keysPerSec} keys/s), peak RSS router ${r.peakRssMB.router} MB, source ${r.peakRssMB.source} MB, joiner ${r.peakRssMB.joiner} MB`,
    );
  }
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`  results: ${saveResults('resync', { keys, valueSize, results })}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
