/**
 * Limits before login (issue 12, "Pre-login memory"), against a real router process with a
 * password and a RESP door. Four unauthenticated connections on each door try to send a
 * 60 MB value (a RESP bulk of 60 MB, a native frame of 60 MB), both below the configured
 * --max-value / --max-frame. Each must be cut off after a few MB at most (what the kernel's
 * socket buffers take before the router hangs up), the router's RSS must stay bounded, and
 * a logged-in client's GETs keep being answered throughout. Before the caps, the same
 * attack took the router's RSS up by about 250 MB (4 x 60 MB buffered until the handshake
 * timeout) and a logged-in client got 7 GETs answered in 12 s.
 *
 * The RSS bound, 40 MiB: what the router may legitimately hold is a pre-login buffer per
 * connection (RESP: 10 bulks of 16 KiB; native: one 16 KiB frame, plus one socket read
 * each), under 2 MiB for eight connections; the rest of the allowance is the noise of a
 * Node process doing work (heap growth from the GETs, logging, socket reads of 64 KiB that
 * are dropped). A single buffered 60 MB value would break it.
 */
import type { KvndbClient } from '@kvndb/client';
import { Op } from '@kvndb/shared';
import { client, sleep, startReplica, startRouterWithResp, stopAll, waitInSync, type RouterHandle } from '../helpers/cluster';
import { authedConn, hello, rawFrame, rawSocket, rssBytes, sendAndCollect } from './harness';

const PASSWORD = 'prelogin-pw';
const MiB = 1024 * 1024;
const ATTACK_BYTES = 60 * 1000 * 1000;
const RSS_BOUND = 40 * MiB;

let router: RouterHandle;
let respPort: number;
let db: KvndbClient;

beforeAll(async () => {
  // The default handshake timeout (10 s): the caps, not the timeout, must stop the attack.
  ({ respPort, ...router } = await startRouterWithResp(['--password', PASSWORD, '--write-ack', 'one']));
  startReplica('memory', router.port, { name: 'r1', env: { KVNDB_PASSWORD: PASSWORD } });
  db = await client(router.port, { password: PASSWORD });
  await waitInSync(db, 1);
});

afterAll(async () => {
  await db?.close();
  await stopAll();
});

interface AttackResult {
  cutOff: boolean;
  /** Bytes the socket accepted (after the header) before the router hung up. */
  sent: number;
  ms: number;
  reply: Buffer;
}

/** Sends `head`, then up to `total` bytes as fast as the router takes them, until it hangs up. */
async function attack(port: number, head: Buffer, total: number): Promise<AttackResult> {
  const started = Date.now();
  const s = await rawSocket(port);
  const got: Buffer[] = [];
  let closed = false;
  s.on('data', (c) => got.push(c));
  s.on('error', () => {});
  const closedP = new Promise<void>((resolve) => s.once('close', () => ((closed = true), resolve())));
  const chunk = Buffer.alloc(MiB, 0x61);
  s.write(head);
  let sent = 0;
  while (sent < total && !closed) {
    const n = Math.min(chunk.length, total - sent);
    const ok = s.write(n === chunk.length ? chunk : chunk.subarray(0, n));
    sent += n;
    if (!ok) await Promise.race([new Promise((r) => s.once('drain', r)), closedP]);
  }
  if (!closed) await Promise.race([closedP, sleep(3000)]);
  s.destroy();
  // Bytes still in this process's socket buffer never reached the router.
  return { cutOff: closed && sent < total, sent: sent - s.writableLength, ms: Date.now() - started, reply: Buffer.concat(got) };
}

test('four unauthenticated 60 MB values on each door: cut off early, RSS bounded, a logged-in client served', async () => {
  await db.set('k', 'v');
  const pid = router.proc.child.pid!;
  // Let start-up garbage settle, then take the baseline.
  await sleep(500);
  const before = rssBytes(pid);
  let peak = before;
  let attacking = true;
  const sampler = (async () => {
    while (attacking) {
      peak = Math.max(peak, rssBytes(pid));
      await sleep(25);
    }
  })();
  const latencies: number[] = [];
  let failedGets = 0;
  const reader = (async () => {
    while (attacking) {
      const t = Date.now();
      try {
        if ((await db.get('k')) !== 'v') failedGets++;
      } catch {
        failedGets++;
      }
      latencies.push(Date.now() - t);
      await sleep(10);
    }
  })();

  const bulkHead = Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$${ATTACK_BYTES}\r\n`);
  const frameHead = rawFrame(ATTACK_BYTES);
  const started = Date.now();
  const results = await Promise.all([
    ...Array.from({ length: 4 }, () => attack(respPort, bulkHead, ATTACK_BYTES)),
    ...Array.from({ length: 4 }, () => attack(router.port, frameHead, ATTACK_BYTES)),
  ]);
  const attackMs = Date.now() - started;
  // Keep serving and sampling a moment after the attack.
  await sleep(500);
  attacking = false;
  await Promise.all([sampler, reader]);
  const after = rssBytes(pid);
  peak = Math.max(peak, after);

  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(
    `pre-login attack: 4 RESP + 4 native connections x 60 MB; accepted before hang-up: ` +
      `${results.map((r) => `${(r.sent / MiB).toFixed(1)} MiB in ${r.ms} ms`).join(', ')}; ` +
      `router RSS before ${(before / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB (+${((peak - before) / MiB).toFixed(1)}), ` +
      `after ${(after / MiB).toFixed(0)} MiB; logged-in GETs during ${attackMs} ms: ${latencies.length}, ` +
      `max ${sorted[sorted.length - 1]} ms, failed ${failedGets}`,
  );

  for (const r of results.slice(0, 4)) {
    expect(r.cutOff).toBe(true);
    expect(r.sent).toBeLessThan(16 * MiB);
    expect(r.reply.toString()).toMatch(/^-ERR Protocol error: unauthenticated bulk length/);
  }
  for (const r of results.slice(4)) {
    expect(r.cutOff).toBe(true);
    expect(r.sent).toBeLessThan(16 * MiB);
    expect(r.reply.toString('latin1')).toMatch(/exceeds the limit of 16384 before authentication/);
  }
  expect(peak - before).toBeLessThan(RSS_BOUND);
  expect(failedGets).toBe(0);
  expect(latencies.length).toBeGreaterThan(10);
  expect(sorted[sorted.length - 1]).toBeLessThan(2000);
  expect(router.proc.running).toBe(true);
}, 60000);

describe('RESP door before AUTH', () => {
  test('more than 10 arguments: Redis error, closed', async () => {
    const args = Array.from({ length: 11 }, (_, i) => `$1\r\n${i % 10}\r\n`).join('');
    const { closed, received } = await sendAndCollect(respPort, Buffer.from(`*11\r\n${args}`), 3000);
    expect(closed).toBe(true);
    expect(received.toString()).toMatch(/^-ERR Protocol error: unauthenticated multibulk length/);
  });

  test('a bulk of 16385 bytes is refused by its length, one of 16384 gets NOAUTH', async () => {
    const over = await sendAndCollect(respPort, Buffer.from('*2\r\n$4\r\nECHO\r\n$16385\r\n'), 3000);
    expect(over.closed).toBe(true);
    expect(over.received.toString()).toMatch(/^-ERR Protocol error: unauthenticated bulk length/);
    const at = await sendAndCollect(respPort, Buffer.from(`*2\r\n$4\r\nECHO\r\n$16384\r\n${'e'.repeat(16384)}\r\n`), 500);
    expect(at.received.toString()).toBe('-NOAUTH Authentication required.\r\n');
  });

  test('after AUTH in the same write, the configured limits apply (a 1 MiB value and 20 arguments)', async () => {
    const big = 'b'.repeat(MiB);
    const mset = Array.from({ length: 10 }, (_, i) => [`pk${i}`, `v${i}`]).flat();
    const cmd = (args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
    const payload = cmd(['AUTH', PASSWORD]) + cmd(['SET', 'prelogin-big', big]) + cmd(['MSET', ...mset]) + cmd(['EXISTS', 'prelogin-big']);
    const { received } = await sendAndCollect(respPort, Buffer.from(payload), 1500);
    expect(received.toString()).toBe('+OK\r\n+OK\r\n+OK\r\n:1\r\n');
  });
});

describe('native door before the handshake', () => {
  test('a 16385-byte frame is refused by its length prefix; after WELCOME a 1 MiB value is fine', async () => {
    const { closed, received } = await sendAndCollect(router.port, rawFrame(16385), 3000);
    expect(closed).toBe(true);
    expect(received.toString('latin1')).toMatch(/TOO_LARGE[\s\S]*16384 before authentication/);
    const { conn } = await authedConn(router.port, 'client', PASSWORD);
    const answered = new Promise<unknown[]>((resolve) => (conn.onMessage = (m) => resolve(m as unknown[])));
    conn.send([Op.SET, 1, 'prelogin-native', Buffer.alloc(MiB, 1)]);
    expect((await answered)[0]).toBe(Op.RESULT);
    conn.close();
  });

  test('HELLO then a frame over the cap before AUTH: refused', async () => {
    const { closed, received } = await sendAndCollect(router.port, Buffer.concat([hello('client'), rawFrame(1 << 20)]), 3000);
    expect(closed).toBe(true);
    expect(received.toString('latin1')).toMatch(/before authentication/);
  });
});
