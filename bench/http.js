#!/usr/bin/env node
'use strict';
/**
 * The HTTP door beside the RESP door, on one router with two memory replicas:
 *   - HTTP PUT and GET of 100-byte values (autocannon, keep-alive, --connections, no pipelining)
 *     and redis-benchmark SET and GET on the RESP port with the same connections;
 *   - what a Prometheus scrape once a second costs: RESP SET throughput with and without a
 *     GET /metrics every second, and how long one scrape takes.
 * Prints a table and saves JSON (bench/results/http-latest.json). The RESP rows are skipped
 * with a message when redis-benchmark is not installed.
 * Options: --duration S (default 8), --connections N (default 50).
 */
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');
const autocannon = require('autocannon');
const { startCluster, waitFor, freePort, has, saveResults, sleep } = require('./lib');

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const DURATION = opt('duration', 8);
const CONNECTIONS = opt('connections', 50);
const VALUE = 'x'.repeat(100);
const KEYS = 10000;

function cannon(url, options) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: DURATION, ...options }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

function summary(result) {
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`HTTP load had ${result.non2xx} non-2xx answers and ${result.errors} errors`);
  return { rps: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99 };
}

/** redis-benchmark, run asynchronously so that this process can scrape meanwhile. */
async function redisBenchmark(port, test, seconds) {
  // -n sized to run about `seconds` at ~20k/s; the rate, not the count, is what is compared.
  const n = Math.max(20000, Math.round(20000 * seconds));
  const { stdout } = await promisify(execFile)(
    'redis-benchmark',
    ['-h', '127.0.0.1', '-p', String(port), '-c', String(CONNECTIONS), '-n', String(n), '-d', '100', '-r', String(KEYS), '-t', test, '--csv'],
    { encoding: 'utf8', timeout: 600000 },
  );
  const [header, row] = stdout.trim().split('\n').map((l) => l.split(',').map((f) => f.replace(/^"|"$/g, '')));
  const rec = Object.fromEntries(header.map((h, i) => [h, row[i]]));
  return { rps: Math.round(Number(rec.rps)), p50: Number(rec.p50_latency_ms), p99: Number(rec.p99_latency_ms) };
}

async function main() {
  const respPort = await freePort();
  const httpPort = await freePort();
  const cluster = await startCluster({ replicas: 2, routerArgs: ['--resp-port', String(respPort), '--http-port', String(httpPort)] });
  const base = `http://127.0.0.1:${httpPort}`;
  const results = { connections: CONNECTIONS, durationSec: DURATION, valueBytes: VALUE.length };
  try {
    await waitFor(cluster.router, /HTTP listening/);
    for (let i = 0; i < KEYS; i += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, j) => fetch(`${base}/v1/kv/key:${i + j}`, { method: 'PUT', body: VALUE })));
    }
    let n = 0;
    const randomKey = (req) => ({ ...req, path: `/v1/kv/key:${(n++ * 7919) % KEYS}` });
    results.httpPut = summary(await cannon(base, { method: 'PUT', body: VALUE, requests: [{ method: 'PUT', body: VALUE, setupRequest: randomKey }] }));
    results.httpGet = summary(await cannon(base, { requests: [{ method: 'GET', setupRequest: randomKey }] }));

    const withResp = has('redis-benchmark');
    if (withResp) {
      results.respSet = await redisBenchmark(respPort, 'set', DURATION);
      results.respGet = await redisBenchmark(respPort, 'get', DURATION);
    } else {
      console.log('redis-benchmark not found (scripts/install-system-deps.sh installs it): RESP rows skipped');
    }

    // One scrape, timed on its own; then the load without and with a scrape each second.
    const t0 = process.hrtime.bigint();
    const body = await (await fetch(`${base}/metrics`)).text();
    results.scrape = { ms: Number(process.hrtime.bigint() - t0) / 1e6, bytes: Buffer.byteLength(body) };
    const loadOnce = async () =>
      withResp ? await redisBenchmark(respPort, 'set', DURATION) : summary(await cannon(base, { requests: [{ method: 'GET', setupRequest: randomKey }] }));
    const quiet = await loadOnce();
    let scraping = true;
    let scrapes = 0;
    const scraper = (async () => {
      while (scraping) {
        await (await fetch(`${base}/metrics`)).text();
        scrapes++;
        await sleep(1000);
      }
    })();
    const scraped = await loadOnce();
    scraping = false;
    await scraper;
    results.scrapeCost = {
      load: withResp ? 'RESP SET' : 'HTTP GET',
      withoutScrapeRps: quiet.rps,
      withScrapeEverySecondRps: scraped.rps,
      scrapes,
      changePercent: Math.round(((scraped.rps - quiet.rps) / quiet.rps) * 1000) / 10,
    };
  } finally {
    await cluster.stop();
  }

  const row = (name, r) => (r ? `  ${name.padEnd(10)} ${String(r.rps).padStart(8)} ops/s   p50 ${String(r.p50).padStart(5)} ms   p99 ${String(r.p99).padStart(5)} ms` : null);
  console.log(`HTTP vs RESP door, ${CONNECTIONS} connections, 100-byte values, 2 memory replicas, write-ack majority`);
  for (const line of [row('HTTP PUT', results.httpPut), row('HTTP GET', results.httpGet), row('RESP SET', results.respSet), row('RESP GET', results.respGet)]) {
    if (line) console.log(line);
  }
  const c = results.scrapeCost;
  console.log(`  one /metrics scrape: ${results.scrape.ms.toFixed(1)} ms, ${results.scrape.bytes} bytes`);
  console.log(`  ${c.load} with a scrape every second: ${c.withScrapeEverySecondRps} ops/s vs ${c.withoutScrapeRps} without (${c.changePercent >= 0 ? '+' : ''}${c.changePercent}%, ${c.scrapes} scrapes)`);
  console.log(`saved ${saveResults('http', results)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
