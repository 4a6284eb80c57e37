#!/usr/bin/env node
/**
 * The driver of the HPC example: splits [0, LIMIT) into TASKS ranges, queues them on
 * `hpc:tasks`, waits for every result on `hpc:results` (blocking pops), checks each range was
 * computed exactly once, stores the total under the results key `hpc:primes`, and sends one
 * STOP per worker. Prints the total and how the work was shared.
 *
 *   node driver.js HOST:PORT WORKERS [TASKS] [LIMIT]
 */
'use strict';
const { connect } = require('@kvndb/client');

const [address = '127.0.0.1:54565', workers = '4', tasks = '40', limit = '400000'] = process.argv.slice(2);
const [host, port] = address.split(':');
const WORKERS = Number(workers);
const TASKS = Number(tasks);
const LIMIT = Number(limit);
/** A result that does not come within this long means a worker is stuck or gone. */
const RESULT_WAIT_MS = 60_000;

async function main() {
  const db = await connect({ host, port: Number(port), password: process.env.KVNDB_PASSWORD });
  try {
    await db.del('hpc:tasks');
    await db.del('hpc:results');
    await db.del('hpc:done');
    await db.del('hpc:primes');
    const step = Math.ceil(LIMIT / TASKS);
    const all = [];
    for (let id = 0; id < TASKS; id++) all.push(JSON.stringify({ id, from: id * step, to: Math.min(LIMIT, (id + 1) * step) }));
    await db.push('hpc:tasks', ...all);

    const seen = new Set();
    const perWorker = new Map();
    let total = 0;
    while (seen.size < TASKS) {
      const r = await db.pop('hpc:results', { waitMs: RESULT_WAIT_MS });
      if (r === null) throw new Error(`no result for ${RESULT_WAIT_MS} ms (${seen.size} of ${TASKS} in)`);
      const { id, primes, worker } = JSON.parse(r);
      if (seen.has(id)) throw new Error(`task ${id} was computed twice`);
      seen.add(id);
      total += primes;
      perWorker.set(worker, (perWorker.get(worker) ?? 0) + 1);
    }
    // The results key: what a later job (or a person with `kvndb cmd get hpc:primes`) reads.
    await db.set('hpc:primes', String(total));
    await db.push('hpc:tasks', ...Array.from({ length: WORKERS }, () => 'STOP'));
    console.log(`primes below ${LIMIT}: ${total}`);
    console.log(`tasks per worker: ${[...perWorker.values()].sort((a, b) => b - a).join(' ')} (${perWorker.size} workers, done counter ${await db.get('hpc:done')})`);
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  console.error(`driver: ${err.message}`);
  process.exit(1);
});
