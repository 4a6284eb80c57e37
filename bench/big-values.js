#!/usr/bin/env node
'use strict';
/**
 * Large values through the Redis protocol door: a router (--resp-port) and one memory
 * replica; over RESP, SET of 16 MiB and of 64 MiB values (each --rounds times, default 3,
 * alternating sizes). For each size: the median wall time from the first byte sent to +OK,
 * the router's (and the replica's) CPU seconds for it, and the longest stall of a GET loop
 * running on a second connection meanwhile. Router and replica always stop at the end. Prints the 64/16 ratios: a parser linear in the value's size gives
 * about 4 (4x the bytes); the quadratic one gave 16 and more. Saves JSON.
 *   node bench/big-values.js [--rounds N] [--sizes 16,64] [--router-args '--heartbeat 0']
 * (sizes in MiB; --router-args adds router flags: the quadratic parser kept the router
 * busy so long on a 64 MiB SET that its replica dropped it unless heartbeats were off).
 */
const net = require('node:net');
const { startCluster, waitFor, freePort, procStats, saveResults } = require('./lib');

const MiB = 1024 * 1024;

function option(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}

function median(values) {
  const v = [...values].sort((a, b) => a - b);
  return v[Math.floor((v.length - 1) / 2)];
}

function bulk(s) {
  const b = Buffer.isBuffer(s) ? s : Buffer.from(s);
  return [Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n')];
}

/** A RESP connection answering one command at a time (enough for SET/GET here). */
async function connectResp(port) {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.setNoDelay(true);
  let pending = null;
  let got = '';
  socket.on('data', (chunk) => {
    got += chunk.toString('latin1');
    // Small replies only: +OK, -ERR ..., :1, $-1, or a short bulk.
    const m = got.match(/^([-+:][^\r]*\r\n|\$-1\r\n|\$(\d+)\r\n)/);
    if (!m) return;
    let end = m[0].length;
    if (m[2] !== undefined) {
      end += Number(m[2]) + 2;
      if (got.length < end) return;
    }
    const reply = got.slice(0, end);
    got = got.slice(end);
    const p = pending;
    pending = null;
    if (p) p.resolve(reply);
  });
  socket.on('close', () => pending && pending.reject(new Error('connection closed')));
  return {
    command(...args) {
      return new Promise((resolve, reject) => {
        pending = { resolve, reject };
        const parts = [Buffer.from(`*${args.length}\r\n`)];
        for (const a of args) parts.push(...bulk(a));
        for (const p of parts) socket.write(p);
      });
    },
    close() {
      socket.destroy();
    },
  };
}

/** GET in a loop until stopped; the longest single GET in ms. */
function getLoop(conn) {
  let running = true;
  let worst = 0;
  let count = 0;
  const done = (async () => {
    while (running) {
      const t = process.hrtime.bigint();
      await conn.command('GET', 'small');
      worst = Math.max(worst, Number(process.hrtime.bigint() - t) / 1e6);
      count++;
    }
  })();
  return async () => {
    running = false;
    await done;
    return { worstMs: worst, gets: count };
  };
}

async function setOnce(setConn, getConn, cluster, sizeMiB, value, round) {
  const cpu0 = procStats(cluster.router.pid).cpuSec;
  const replicaCpu0 = procStats(cluster.replicas[0].pid).cpuSec;
  const stopGets = getLoop(getConn);
  const t0 = process.hrtime.bigint();
  const reply = await setConn.command('SET', `big:${sizeMiB}:${round}`, value);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = procStats(cluster.router.pid).cpuSec - cpu0;
  const replicaCpu = procStats(cluster.replicas[0].pid).cpuSec - replicaCpu0;
  const { worstMs, gets } = await stopGets();
  if (reply !== '+OK\r\n') throw new Error(`SET of ${sizeMiB} MiB answered ${JSON.stringify(reply.slice(0, 200))}`);
  // The next round starts from the same place: the value is dropped again.
  await setConn.command('DEL', `big:${sizeMiB}:${round}`);
  return { ms, cpuSec: cpu, replicaCpuSec: replicaCpu, worstGetMs: worstMs, gets };
}

async function main() {
  const rounds = Number(option('rounds', '3'));
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds needs a positive integer');
  const sizes = option('sizes', '16,64').split(',').map(Number);
  const maxMiB = Math.max(...sizes);
  const respPort = await freePort();
  const cluster = await startCluster({
    replicas: 1,
    routerArgs: ['--resp-port', String(respPort), '--max-value', `${maxMiB}m`, '--write-ack', 'majority', '--write-timeout', '600000', '--frame-timeout', '0', ...option('router-args', '').split(/\s+/).filter(Boolean)],
  });
  const samples = Object.fromEntries(sizes.map((s) => [s, []]));
  try {
    await waitFor(cluster.router, /RESP .*listening/);
    const setConn = await connectResp(respPort);
    const getConn = await connectResp(respPort);
    await getConn.command('SET', 'small', 'x'.repeat(100));
    const values = Object.fromEntries(sizes.map((s) => [s, Buffer.alloc(s * MiB, 'v')]));
    // Warm up the path (JIT, buffers) with a small large value.
    await setOnce(setConn, getConn, cluster, 1, Buffer.alloc(MiB, 'w'), 0);
    for (let round = 1; round <= rounds; round++) {
      for (const s of sizes) {
        const r = await setOnce(setConn, getConn, cluster, s, values[s], round);
        samples[s].push(r);
        console.log(`round ${round}/${rounds}: SET ${s} MiB: ${r.ms.toFixed(0)} ms, router CPU ${r.cpuSec.toFixed(2)} s, replica CPU ${r.replicaCpuSec.toFixed(2)} s, worst concurrent GET ${r.worstGetMs.toFixed(0)} ms (${r.gets} GETs)`);
      }
    }
    setConn.close();
    getConn.close();
  } finally {
    await cluster.stop();
  }
  const rows = sizes.map((s) => ({
    sizeMiB: s,
    ms: +median(samples[s].map((r) => r.ms)).toFixed(1),
    routerCpuSec: +median(samples[s].map((r) => r.cpuSec)).toFixed(2),
    replicaCpuSec: +median(samples[s].map((r) => r.replicaCpuSec)).toFixed(2),
    worstGetMs: +median(samples[s].map((r) => r.worstGetMs)).toFixed(1),
  }));
  console.log(`median of ${rounds} round(s):`);
  console.log('| SET value | wall ms | router CPU s | replica CPU s | worst concurrent GET ms |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.sizeMiB} MiB | ${r.ms} | ${r.routerCpuSec} | ${r.replicaCpuSec} | ${r.worstGetMs} |`);
  let ratios;
  const small = rows.find((r) => r.sizeMiB === 16);
  const large = rows.find((r) => r.sizeMiB === 64);
  if (small && large) {
    ratios = { wall: +(large.ms / small.ms).toFixed(2), routerCpu: +(large.routerCpuSec / Math.max(small.routerCpuSec, 0.01)).toFixed(2) };
    console.log(`64 MiB / 16 MiB: wall ${ratios.wall}x, router CPU ${ratios.routerCpu}x (4x the bytes: linear is about 4, quadratic 16)`);
  }
  console.log(`results: ${saveResults('big-values', { rounds, rows, ratios, samples })}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
