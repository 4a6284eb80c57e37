/**
 * Resource exhaustion against a real router process: a client that never reads its
 * answers, slowloris dribbling before and after authentication, idle connections, too many
 * connections, oversized length prefixes, too many requests in flight, and a 1,000-attempt
 * password brute force while a good client keeps working (its latency is printed).
 */
import { ErrorCode, Op, type FramedConnection } from '@kvndb/shared';
import type { KvndbClient } from '@kvndb/client';
import { client, sleep, startReplica, startRouter, stopAll, waitInSync, type RouterHandle } from '../helpers/cluster';
import { authedConn, frame, hello, percentile, rawFrame, rawSocket, rssBytes, sendAndCollect } from './harness';

const PASSWORD = 'dos-pw';
const MiB = 1024 * 1024;

let router: RouterHandle;
let db: KvndbClient;

beforeAll(async () => {
  router = await startRouter([
    '--password', PASSWORD,
    '--write-ack', 'one',
    '--handshake-timeout', '1000',
    '--frame-timeout', '1500',
    '--client-output-limit', '32m',
    '--max-inflight', '2000',
    '--max-connections', '300',
  ]);
  startReplica('memory', router.port, { name: 'r1', args: ['--password', PASSWORD] });
  db = await client(router.port, { password: PASSWORD });
  await waitInSync(db, 1);
});

afterAll(async () => {
  await db?.close();
  await stopAll();
});

/** Resolves with the frames received when the connection closes (or after timeoutMs). */
function closedWithin(conn: FramedConnection, timeoutMs: number): Promise<{ closed: boolean; msgs: unknown[][] }> {
  const msgs: unknown[][] = [];
  conn.onMessage = (m) => msgs.push(m as unknown[]);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve({ closed: false, msgs }), timeoutMs);
    conn.once('close', () => {
      clearTimeout(t);
      resolve({ closed: true, msgs });
    });
  });
}

test('a client pipelining GETs of a large value and never reading: cut off, RSS bounded, others fine', async () => {
  const big = Buffer.alloc(1 * MiB, 7);
  await db.set('big', big);
  const pid = router.proc.child.pid!;
  const before = rssBytes(pid);
  const { conn } = await authedConn(router.port, 'client', PASSWORD);
  conn.stream.pause(); // never read
  const gets = Buffer.concat(Array.from({ length: 1500 }, (_, i) => frame([Op.GET, i + 1, 'big'])));
  conn.stream.write(gets);
  // The test's socket is paused, so it would not notice the router hanging up: watch the log.
  const logFrom = router.proc.output.length;
  const cutOff = () => /is not reading its answers/.test(router.proc.output.slice(logFrom));
  let peak = before;
  let others = 0;
  const deadline = Date.now() + 20000;
  while (!cutOff() && Date.now() < deadline) {
    peak = Math.max(peak, rssBytes(pid));
    await db.set('other', `x${others}`);
    expect(await db.get('other')).toBe(`x${others++}`);
    await sleep(50);
  }
  const isClosed = cutOff();
  await sleep(1000);
  const after = rssBytes(pid);
  peak = Math.max(peak, after);
  conn.close();
  console.log(
    `slow reader: 1500 x 1 MiB GETs never read; router RSS ${(before / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB, after ${(after / MiB).toFixed(0)} MiB; cut off: ${isClosed}`,
  );
  expect(isClosed).toBe(true);
  expect(peak).toBeLessThan(before + 400 * MiB); // 1.5 GiB of answers were asked for
  expect(others).toBeGreaterThan(0);
  expect(await db.ping()).toBeUndefined();
  await db.set('after-slow', 'fine');
  expect(await db.get('after-slow')).toBe('fine');
});

test('slowloris before authentication: closed by the handshake timeout', async () => {
  const s = await rawSocket(router.port);
  const bytes = hello('client');
  const closed = new Promise<number>((r) => s.once('close', () => r(Date.now())));
  s.on('error', () => {});
  const t0 = Date.now();
  for (let i = 0; i < bytes.length - 1 && !s.destroyed; i++) {
    s.write(bytes.subarray(i, i + 1));
    await Promise.race([sleep(300), closed]);
  }
  const at = await Promise.race([closed, sleep(5000).then(() => 0)]);
  s.destroy();
  expect(at).toBeGreaterThan(0);
  expect(at - t0).toBeLessThan(4000);
  expect(await db.ping()).toBeUndefined();
});

test('slowloris after authentication: closed by the frame timeout with TIMEOUT', async () => {
  const { conn } = await authedConn(router.port, 'client', PASSWORD);
  const done = closedWithin(conn, 8000);
  const bytes = frame([Op.SET, 1, 'slow', Buffer.alloc(200, 1)]);
  const t0 = Date.now();
  for (let i = 0; i < bytes.length && !conn.isClosed; i++) {
    conn.stream.write(bytes.subarray(i, i + 1));
    await sleep(250);
  }
  const { closed, msgs } = await done;
  expect(closed).toBe(true);
  expect(Date.now() - t0).toBeLessThan(5000);
  expect(msgs.at(-1)?.[2]).toBe(ErrorCode.TIMEOUT);
  expect(await db.ping()).toBeUndefined();
});

test('an idle client is closed by the idle timeout; an active one is not', async () => {
  // Its own router: the shared good client sits idle between tests.
  const r = await startRouter(['--password', PASSWORD, '--idle-timeout', '2500']);
  const idle = await authedConn(r.port, 'client', PASSWORD);
  const active = await authedConn(r.port, 'client', PASSWORD);
  const idleDone = closedWithin(idle.conn, 6000);
  const activeMsgs: unknown[][] = [];
  active.conn.onMessage = (m) => activeMsgs.push(m as unknown[]);
  for (let i = 1; i <= 20; i++) {
    active.conn.send([Op.PING, i]);
    await sleep(250);
  }
  const { closed, msgs } = await idleDone;
  expect(closed).toBe(true);
  expect(msgs.at(-1)?.[2]).toBe(ErrorCode.TIMEOUT);
  expect(active.conn.isClosed).toBe(false);
  expect(activeMsgs.length).toBe(20);
  active.conn.close();
  await r.proc.stop();
});

test('4 GiB length prefix: TOO_LARGE and closed, before and after authentication', async () => {
  const pre = await sendAndCollect(router.port, rawFrame(0xffffffff), 2000);
  expect(pre.closed).toBe(true);
  expect(pre.received.toString('latin1')).toContain('TOO_LARGE');
  const { conn } = await authedConn(router.port, 'client', PASSWORD);
  const done = closedWithin(conn, 3000);
  conn.stream.write(rawFrame(0xffffffff, Buffer.alloc(1000)));
  const { closed, msgs } = await done;
  expect(closed).toBe(true);
  expect(msgs.at(-1)?.[2]).toBe(ErrorCode.TOO_LARGE);
});

test('too many requests in flight on one connection: TOO_MANY_REQUESTS, connection stays usable', async () => {
  const { conn } = await authedConn(router.port, 'client', PASSWORD);
  const msgs: unknown[][] = [];
  conn.onMessage = (m) => msgs.push(m as unknown[]);
  conn.stream.write(Buffer.concat(Array.from({ length: 5000 }, (_, i) => frame([Op.GET, i + 1, 'k']))));
  const deadline = Date.now() + 10000;
  while (msgs.length < 5000 && Date.now() < deadline) await sleep(20);
  expect(msgs.length).toBe(5000);
  const tooMany = msgs.filter((m) => m[0] === Op.ERROR && m[2] === ErrorCode.TOO_MANY_REQUESTS).length;
  expect(tooMany).toBeGreaterThan(0);
  expect(conn.isClosed).toBe(false);
  conn.close();
});

test('too many connections: the extra ones get TOO_MANY_REQUESTS, existing clients are fine', async () => {
  const socks = await Promise.all(Array.from({ length: 320 }, () => rawSocket(router.port).catch(() => null)));
  await sleep(300);
  const refused = await sendAndCollect(router.port, hello('client'), 1000);
  expect(refused.received.toString('latin1')).toMatch(/too many connections/);
  expect(await db.ping()).toBeUndefined();
  for (const s of socks) s?.destroy();
  await sleep(300);
});

test('brute force: 1,000 wrong passwords while a good client does timed set/get', async () => {
  const latencies: number[] = [];
  let goodErrors = 0;
  let stop = false;
  const good = (async () => {
    let i = 0;
    while (!stop) {
      const t = process.hrtime.bigint();
      try {
        await db.set(`bf:${i % 100}`, `v${i}`);
        await db.get(`bf:${i % 100}`);
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      } catch {
        goodErrors++;
      }
      i++;
      await sleep(2);
    }
  })();
  await sleep(300);
  const outcomes = new Map<string, number>();
  let attempts = 0;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (attempts < 1000) {
        const n = attempts++;
        let code = 'OK';
        try {
          const { conn } = await authedConn(router.port, 'client', `guess-${n}`);
          conn.close();
        } catch (err) {
          code = (err as { code?: string }).code ?? 'ERR';
        }
        outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
      }
    }),
  );
  const attackMs = Date.now() - t0;
  stop = true;
  await good;
  const sorted = [...latencies].sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(2);
  console.log(
    `brute force: 1000 wrong passwords in ${attackMs} ms (${JSON.stringify(Object.fromEntries(outcomes))}); ` +
      `good client ${latencies.length} set+get pairs: p50 ${f(percentile(sorted, 50))} ms, p99 ${f(percentile(sorted, 99))} ms, max ${f(sorted.at(-1) ?? NaN)} ms`,
  );
  expect(outcomes.get('OK') ?? 0).toBe(0);
  expect(goodErrors).toBe(0);
  expect(latencies.length).toBeGreaterThan(10);
  expect(router.proc.running).toBe(true);
});
