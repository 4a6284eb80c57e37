#!/usr/bin/env node
'use strict';
/**
 * Watch fan-out: a router and one memory replica; SET runs from this process (4 connections,
 * 32 requests in flight each, 16-byte values on 10k keys) while W watchers (0, 1, 10, 100:
 * 0 is the baseline) each watch every key (prefix ''), spread over up to 10 connections in a
 * child process of their own, so decoding events does not take this process's CPU. Reports
 * SET ops/s, events/s delivered to all watchers together, whether every watcher received
 * every write (after the load stops, within 10 s), and the router's CPU and peak RSS.
 *   node bench/watch.js [--watchers 0,1,10,100] [--duration 5]
 */
const { startCluster, procStats, mb, saveResults, sleep } = require('./lib');

function option(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}

if (process.argv[2] === '--consumer') {
  consumer(Number(process.argv[3]), Number(process.argv[4])).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

/** The child: `count` watches on `port`, printing the events received so far each 200 ms. */
async function consumer(port, count) {
  const { connect } = require('@kvndb/client');
  const conns = await Promise.all(Array.from({ length: Math.min(count, 10) }, () => connect({ host: '127.0.0.1', port })));
  let events = 0;
  const lastSeq = new Array(count).fill(0);
  const watches = [];
  for (let i = 0; i < count; i++) {
    const w = conns[i % conns.length].watch('');
    watches.push(w);
    void (async () => {
      for await (const e of w) {
        events++;
        lastSeq[i] = e.seq;
      }
    })();
  }
  await Promise.all(watches.map((w) => w.started));
  console.log('ready');
  setInterval(() => console.log(JSON.stringify({ events, minSeq: Math.min(...lastSeq) })), 200);
}

async function setLoad(db, durationMs) {
  const value = Buffer.from('v'.repeat(16));
  const until = Date.now() + durationMs;
  let ops = 0;
  let n = 0;
  await Promise.all(
    Array.from({ length: 32 * db.length }, async (_, k) => {
      const c = db[k % db.length];
      while (Date.now() < until) {
        await c.set(`k:${n++ % 10000}`, value);
        ops++;
      }
    }),
  );
  return ops;
}

async function run(watchers, durationMs) {
  const cluster = await startCluster({ replicas: 1 });
  const { connect } = require('@kvndb/client');
  const { spawn } = require('node:child_process');
  let child;
  try {
    const db = await Promise.all(Array.from({ length: 4 }, () => connect({ host: '127.0.0.1', port: cluster.port })));
    let progress = { events: 0, minSeq: 0 };
    if (watchers > 0) {
      child = spawn(process.execPath, [__filename, '--consumer', String(cluster.port), String(watchers)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let buf = '';
      let ready;
      const isReady = new Promise((r) => (ready = r));
      child.stdout.on('data', (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line === 'ready') ready();
          else progress = JSON.parse(line);
        }
      });
      await isReady;
    }
    const before = procStats(cluster.router.pid);
    const eventsBefore = progress.events;
    const t0 = Date.now();
    const ops = await setLoad(db, durationMs);
    const seconds = (Date.now() - t0) / 1000;
    await sleep(250);
    const eventsDuring = progress.events - eventsBefore;
    const after = procStats(cluster.router.pid);
    const lastSeq = (await db[0].status()).seq;
    let caughtUp = watchers === 0;
    const catchUpStart = Date.now();
    while (!caughtUp && Date.now() - catchUpStart < 10000) {
      await sleep(100);
      caughtUp = progress.minSeq >= lastSeq - 1;
    }
    await Promise.all(db.map((c) => c.close()));
    return {
      watchers,
      setOpsPerSec: Math.round(ops / seconds),
      eventsPerSec: Math.round(eventsDuring / seconds),
      everyWatcherGotEveryWrite: caughtUp,
      catchUpMs: watchers === 0 ? 0 : Date.now() - catchUpStart,
      routerCpuPct: Math.round(((after.cpuSec - before.cpuSec) / seconds) * 100),
      routerPeakRssMb: Number(mb(after.peakRss)),
    };
  } finally {
    child?.kill('SIGKILL');
    await cluster.stop();
  }
}

async function main() {
  const counts = option('watchers', '0,1,10,100').split(',').map(Number);
  const durationMs = Number(option('duration', '5')) * 1000;
  const rows = [];
  for (const w of counts) {
    const r = await run(w, durationMs);
    rows.push(r);
    console.log(
      `${String(w).padStart(3)} watchers: SET ${r.setOpsPerSec} ops/s, ${r.eventsPerSec} events/s delivered, every watcher got every write: ${r.everyWatcherGotEveryWrite} (${r.catchUpMs} ms after the load), router CPU ${r.routerCpuPct}%, peak RSS ${r.routerPeakRssMb} MB`,
    );
  }
  console.log(`results: ${saveResults('watch', { durationMs, rows })}`);
}
