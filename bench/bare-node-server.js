#!/usr/bin/env node
'use strict';
/**
 * The runtime's floor: a single-process Node.js RESP server, as small as it can be. A Map
 * of Latin-1 strings, every reply of one socket read written at once as one string, no replication, no ordering, no limits,
 * no auth. bench/redis-compare.js measures it beside Redis and kvndb so each kvndb figure
 * also reads against what Node itself allows on the machine (issue 17). It answers only
 * what the benchmark sends (PING, GET, SET with options ignored, INCR, CONFIG); it is a
 * yardstick, not a database.
 *
 *   node bench/bare-node-server.js PORT
 */
const net = require('node:net');

const store = new Map();
const CRLF = '\r\n';

/** One RESP array of bulk strings at `p`: [args, next position], or null until it is all here. */
function parse(b, p) {
  let e = b.indexOf(CRLF, p);
  if (e < 0) return null;
  if (b[p] !== 0x2a) return [b.toString('latin1', p, e).split(' ').filter(Boolean).map((s) => Buffer.from(s)), e + 2];
  const n = Number(b.toString('latin1', p + 1, e));
  p = e + 2;
  const args = new Array(n);
  for (let i = 0; i < n; i++) {
    e = b.indexOf(CRLF, p);
    if (e < 0) return null;
    const len = Number(b.toString('latin1', p + 1, e));
    p = e + 2;
    if (p + len + 2 > b.length) return null;
    args[i] = b.subarray(p, p + len);
    p += len + 2;
  }
  return [args, p];
}

/** Values are kept as Latin-1 strings (one character per byte), so replies are one string. */
function bulk(v) {
  return v === undefined ? '$-1\r\n' : `$${v.length}\r\n${v}\r\n`;
}

function run(args) {
  switch (args[0].toString('latin1').toUpperCase()) {
    case 'GET':
      return bulk(store.get(args[1].toString('latin1')));
    case 'SET':
      store.set(args[1].toString('latin1'), args[2].toString('latin1'));
      return '+OK\r\n';
    case 'INCR': {
      const key = args[1].toString('latin1');
      const n = Number(store.get(key) ?? 0) + 1;
      store.set(key, String(n));
      return `:${n}\r\n`;
    }
    case 'PING':
      return '+PONG\r\n';
    case 'CONFIG':
      return '*0\r\n';
    default:
      return `-ERR unknown command '${args[0].toString('latin1')}'\r\n`;
  }
}

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  let pending = null;
  socket.on('data', (chunk) => {
    const b = pending ? Buffer.concat([pending, chunk]) : chunk;
    let out = '';
    let p = 0;
    for (let r = parse(b, p); r !== null; r = p < b.length ? parse(b, p) : null) {
      out += run(r[0]);
      p = r[1];
    }
    pending = p < b.length ? Buffer.from(b.subarray(p)) : null;
    if (out.length > 0) socket.write(out, 'latin1');
  });
  socket.on('error', () => socket.destroy());
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => console.log(`bare node RESP server listening on 127.0.0.1:${server.address().port}`));
