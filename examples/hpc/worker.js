#!/usr/bin/env node
/**
 * One worker of the HPC example: takes tasks from the queue `hpc:tasks` with a blocking pop,
 * computes each (the number of primes in a range), pushes the result onto `hpc:results` and
 * counts it in `hpc:done`. A task is JSON {id, from, to}; the value STOP ends the worker.
 * Every task goes to exactly one worker: the pop is an ordered write sequenced by the router.
 *
 *   node worker.js HOST:PORT [NAME]
 */
'use strict';
const { connect } = require('@kvndb/client');

const [address = '127.0.0.1:54565', name = `worker-${process.pid}`] = process.argv.slice(2);
const [host, port] = address.split(':');

function primesIn(from, to) {
  let n = 0;
  for (let x = Math.max(2, from); x < to; x++) {
    let prime = true;
    for (let d = 2; d * d <= x; d++) {
      if (x % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) n++;
  }
  return n;
}

async function main() {
  const db = await connect({ host, port: Number(port), password: process.env.KVNDB_PASSWORD });
  let done = 0;
  try {
    for (;;) {
      // Wait as long as it takes: the driver pushes STOP once every task is out.
      const task = await db.pop('hpc:tasks', { waitMs: Infinity });
      if (task === null) continue;
      if (task === 'STOP') break;
      const { id, from, to } = JSON.parse(task);
      const primes = primesIn(from, to);
      await db.push('hpc:results', JSON.stringify({ id, primes, worker: name }));
      await db.incr('hpc:done');
      done++;
    }
  } finally {
    await db.close();
  }
  console.log(`${name}: ${done} tasks`);
}

main().catch((err) => {
  console.error(`${name}: ${err.message}`);
  process.exit(1);
});
