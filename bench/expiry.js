#!/usr/bin/env node
'use strict';
/**
 * Mass expiry: a router and one replica (memory, then SQLite); N keys (default 1M) loaded
 * through @kvndb/client in native BATCH writes of 1000 sets (SET one key at a time, through
 * the client or pipelined over RESP, loaded 10-15k keys/s on a busy 2-core machine), that
 * all expire within one second (expiry times spread over [T, T+1s)). Measures
 *   - how long the router's sweeps take until count() (DBSIZE) is 0, from the last expiry;
 *   - the router's and the replica's RSS before loading, loaded, at 0 keys and 5 s later
 *     (is memory given back?);
 *   - GET p50/p99 of another client (one GET at a time on its own connection, a key that
 *     does not expire) before the expiry and while the keys are being removed.
 * Prints a small table and saves JSON. Router and replicas always stop at the end.
 *   node bench/expiry.js [--keys 1000000] [--kinds memory,sqlite] [--value-size 16]
 */
const { startCluster, procStats, percentile, mb, saveResults, sleep } = require('./lib');

function option(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}

const N = Number(option('keys', '1000000'));
const KINDS = option('kinds', 'memory,sqlite').split(',');
const VALUE = 'v'.repeat(Number(option('value-size', '16')));
const BATCH = 1000;
const IN_FLIGHT = 8;

/** A raw native BATCH of sets with flags, through the client's public call(). */
const batchMethod = { request: (_limits, [ops]) => [33 /* Op.BATCH */, 0, ops], decode: (v) => v, retryable: false };

/** Set exp:0 .. exp:N-1, each with flags(i) (null: none), in BATCH writes. */
async function load(db, flags) {
  const value = Buffer.from(VALUE);
  let next = 0;
  const worker = async () => {
    while (next < N) {
      const from = next;
      next = Math.min(N, next + BATCH);
      const ops = [];
      for (let i = from; i < next; i++) {
        const f = flags(i);
        ops.push(f ? ['s', `exp:${i}`, value, f] : ['s', `exp:${i}`, value]);
      }
      await db.call(batchMethod, [ops]);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

/** One GET at a time on its own client; latencies (ms) go into the current bucket. */
function getLoop(db) {
  const buckets = { before: [], removal: [] };
  let bucket = null;
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const t = process.hrtime.bigint();
      await db.get('bench:persistent');
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      if (bucket) buckets[bucket].push(ms);
    }
  })();
  return {
    buckets,
    into: (name) => (bucket = name),
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

function stats(list) {
  const s = [...list].sort((a, b) => a - b);
  return { n: s.length, p50: +percentile(s, 50).toFixed(2), p99: +percentile(s, 99).toFixed(2), max: +(s[s.length - 1] || 0).toFixed(2) };
}

async function run(kind) {
  const dir = kind === 'sqlite' ? require('node:fs').mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'kvndb-bench-expiry-')) : undefined;
  const cluster = await startCluster({ replicas: 1, kind, dir });
  const { connect } = require('@kvndb/client');
  const db = await connect({ host: '127.0.0.1', port: cluster.port, requestTimeoutMs: 60000 });
  const reader = await connect({ host: '127.0.0.1', port: cluster.port });
  const rss = () => ({ router: procStats(cluster.router.pid).rss, replica: procStats(cluster.replicas[0].pid).rss });
  try {
    await db.set('bench:persistent', 'here to stay');
    const loop = getLoop(reader);
    await sleep(500);
    const rssBefore = rss();

    // Two passes of native BATCH writes (1000 sets each, 8 in flight): the first without
    // expiry times the load on this machine, the second overwrites every key with an expiry
    // in [T, T+1s), T chosen after the first pass (three times its time: the second pass also
    // indexes expiries, and on a shared machine it ran up to twice as long) so it fits before T.
    const loadStart = Date.now();
    await load(db, () => null);
    const firstPassMs = Date.now() - loadStart;
    const T = Date.now() + Math.ceil(firstPassMs * 3) + 3000;
    await load(db, (i) => ({ at: T + (i % 1000) }));
    const loadMs = Date.now() - loadStart;
    const loaded = await db.count();
    if (Date.now() > T) console.log(`  (the load took ${loadMs} ms and passed the first expiry: numbers below include loading)`);

    // GETs before the expiry, for as long as there is time (at most 3 s).
    loop.into('before');
    await sleep(Math.min(3000, Math.max(0, T - Date.now() - 100)));
    const rssLoaded = rss();
    loop.into(null);
    await sleep(Math.max(0, T - Date.now()));
    loop.into('removal');
    let zeroAt = 0;
    for (;;) {
      const c = await db.count();
      if (c.keys <= 1) {
        zeroAt = Date.now();
        break;
      }
      if (Date.now() - T > 300_000) throw new Error(`still ${c.keys} keys 5 minutes after expiry`);
      await sleep(20);
    }
    loop.into(null);
    const rssZero = rss();
    await sleep(5000);
    const rssLater = rss();
    await loop.stop();
    return {
      kind,
      keys: N,
      loadMs,
      loaded: loaded.keys - 1,
      loadedExpiring: loaded.expiring,
      removalFromFirstExpiryMs: zeroAt - T,
      removalFromLastExpiryMs: zeroAt - (T + 999),
      rss: { before: rssBefore, loaded: rssLoaded, atZero: rssZero, fiveSecLater: rssLater },
      get: { before: stats(loop.buckets.before), removal: stats(loop.buckets.removal) },
    };
  } finally {
    await reader.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    await cluster.stop();
    if (dir) require('node:fs').rmSync(dir, { recursive: true, force: true });
  }
}

(async () => {
  const results = [];
  for (const kind of KINDS) {
    console.log(`${kind}: loading ${N} keys that expire within one second ...`);
    const r = await run(kind);
    results.push(r);
    console.log(
      `  loaded ${r.loaded} (${r.loadedExpiring} expiring) in ${r.loadMs} ms; count() 0 after ${r.removalFromLastExpiryMs} ms past the last expiry`,
    );
  }
  const rows = [['', ...results.map((r) => r.kind)]];
  const add = (label, f) => rows.push([label, ...results.map(f)]);
  add('keys loaded', (r) => String(r.loaded));
  add('load ms', (r) => String(r.loadMs));
  add('to 0 keys, from first expiry ms', (r) => String(r.removalFromFirstExpiryMs));
  add('to 0 keys, from last expiry ms', (r) => String(r.removalFromLastExpiryMs));
  for (const who of ['router', 'replica']) {
    add(`${who} RSS MB before / loaded`, (r) => `${mb(r.rss.before[who])} / ${mb(r.rss.loaded[who])}`);
    add(`${who} RSS MB at 0 / +5 s`, (r) => `${mb(r.rss.atZero[who])} / ${mb(r.rss.fiveSecLater[who])}`);
  }
  add('GET p50/p99 ms before', (r) => `${r.get.before.p50} / ${r.get.before.p99} (n=${r.get.before.n})`);
  add('GET p50/p99 ms during removal', (r) => `${r.get.removal.p50} / ${r.get.removal.p99} (n=${r.get.removal.n})`);
  const width = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(width[c])).join('  '));
  console.log(`saved ${saveResults('expiry', { results })}`);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
