/**
 * Pieces the security tests share: a seeded PRNG (every run sends the same hostile bytes,
 * so a failure can be replayed), raw sockets that speak just enough of the protocol to
 * misbehave, the router's resident memory, and a throwaway TLS certificate made with
 * openssl at test time (no private key is ever committed).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  FramedConnection,
  Op,
  PROTOCOL_VERSION,
  computeProof,
  dial,
  encodeFrame,
  peerHandshake,
  type Role,
  type WelcomeInfo,
} from '@kvndb/shared';
import { sleep, tempDir } from '../helpers/cluster';

/** mulberry32: tiny, fast, and the same sequence for the same seed on every machine. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  /** A random plain MessagePack-able value, nested a little. */
  value(depth = 0): unknown {
    switch (this.int(depth > 2 ? 6 : 8)) {
      case 0:
        return null;
      case 1:
        return this.next() < 0.5;
      case 2:
        return this.int(2 ** 31) - 2 ** 30;
      case 3:
        return this.bytes(this.int(40)).toString('latin1');
      case 4:
        return this.bytes(this.int(40));
      case 5:
        return this.next() * 1e6;
      case 6:
        return Array.from({ length: this.int(5) }, () => this.value(depth + 1));
      default: {
        const m: Record<string, unknown> = {};
        for (let i = this.int(4); i > 0; i--) m[this.pick(['name', 'epoch', 'seq', 'reset', 'nx', 'x'])] = this.value(depth + 1);
        return m;
      }
    }
  }
}

/** Resident set size of a process in bytes, from /proc/PID/status. */
export function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** A frame whose length prefix says `len` bytes; only `body` follows. */
export function rawFrame(len: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(len >>> 0, 0);
  return Buffer.concat([head, body]);
}

/** Opens a plain TCP socket; resolves once connected. */
export function rawSocket(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/**
 * Writes `payload` (all at once, or the chunks one by one), then collects what comes back
 * until the router closes or `waitMs` passes; always destroys the socket.
 */
export async function sendAndCollect(
  port: number,
  payload: Buffer | Buffer[],
  waitMs: number,
): Promise<{ closed: boolean; received: Buffer }> {
  const s = await rawSocket(port);
  const got: Buffer[] = [];
  let closed = false;
  s.on('data', (c) => got.push(c));
  s.on('error', () => {});
  const closedP = new Promise<void>((r) => s.once('close', () => ((closed = true), r())));
  for (const chunk of Array.isArray(payload) ? payload : [payload]) if (!s.destroyed) s.write(chunk);
  await Promise.race([closedP, sleep(waitMs)]);
  s.destroy();
  return { closed, received: Buffer.concat(got) };
}

/** A FramedConnection to the router after a full handshake as `role` with `secret`. */
export async function authedConn(
  port: number,
  role: Role,
  secret: string | undefined,
  info: Record<string, unknown> = {},
): Promise<{ conn: FramedConnection; welcome: WelcomeInfo }> {
  const conn = new FramedConnection(await dial({ host: '127.0.0.1', port }));
  try {
    const welcome = await peerHandshake(conn, { role, secret, info, timeoutMs: 10000 });
    return { conn, welcome };
  } catch (err) {
    conn.close();
    throw err;
  }
}

/** The wire messages a test sends raw, encoded once. */
export function frame(msg: unknown): Buffer {
  return encodeFrame(msg);
}

export function hello(role: Role, info: Record<string, unknown> = {}): Buffer {
  return frame([Op.HELLO, PROTOCOL_VERSION, role, info]);
}

export function authFrame(secret: string, role: Role, nonce: Uint8Array): Buffer {
  return frame([Op.AUTH, computeProof(secret, role, nonce)]);
}

/** A self-signed certificate for 127.0.0.1, ::1 and localhost, in a fresh temp dir. */
export function makeCert(name = 'kvndb-test'): { dir: string; cert: string; key: string } {
  const dir = tempDir('kvndb-tls-');
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${name}`,
      '-addext', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  return { dir, cert, key };
}

/** Percentile of a sorted array of numbers. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
