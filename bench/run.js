#!/usr/bin/env node
'use strict';
/** `npm run bench`: every benchmark in turn. Benchmarks never run as part of npm test. */
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const scripts = [
  ['native.js', ['--connections', '1', '--pipeline', '64', '--replicas', '2', '--reads', '1', '--duration', '10']],
  ['native.js', ['--connections', '4', '--pipeline', '16', '--replicas', '2', '--reads', '0.5', '--duration', '10']],
  ['redis-compare.js', []],
  ['resync.js', []],
  ['big-values.js', []],
  ['expiry.js', []],
  ['queues.js', []],
  ['watch.js', []],
  ['http.js', []],
];
let failed = 0;
for (const [script, args] of scripts) {
  console.log(`\n== ${script} ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [path.join(__dirname, script), ...args], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
