import net from 'node:net';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { encodeFrame } from '../codec/codec';
import { FramedConnection } from './framed-connection';
import { InProcessTransport } from './in-process-transport';
import type { Link } from './transport';
import { ErrorCode, KvndbError, ProtocolError, TooLargeError } from '../protocol/errors';
import { Op } from '../protocol/opcodes';

/**
 * A connected pair: `a` dialled `b`'s listener. Protocol logic runs over the in-process
 * transport (no ports); the tests about what a socket does (kernel buffers, addresses,
 * chunking) ask for real loopback sockets.
 */
interface Pair {
  a: FramedConnection;
  b: FramedConnection;
  /** b's raw stream, for writing bytes no encoder would produce. */
  bStream: Duplex;
}

let server: net.Server;
const open: FramedConnection[] = [];

beforeEach(async () => {
  server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
});

afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function pair(options: { maxFrameBytes?: number } = {}, via: 'in-process' | 'socket' = 'in-process'): Promise<Pair> {
  let aStream: Duplex;
  let bStream: Duplex;
  if (via === 'socket') {
    const accepted = once(server, 'connection') as Promise<[net.Socket]>;
    const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await once(socket, 'connect');
    aStream = socket;
    [bStream] = await accepted;
  } else {
    const transport = new InProcessTransport('pair');
    const far = new Promise<Link>((resolve) => void transport.listen(resolve));
    aStream = (await transport.dial()).stream;
    bStream = (await far).stream;
  }
  const a = new FramedConnection(aStream, options);
  const b = new FramedConnection(bStream, options);
  open.push(a, b);
  return { a, b, bStream };
}

function collect(conn: FramedConnection): unknown[] {
  const got: unknown[] = [];
  conn.onMessage = (m) => got.push(m);
  return got;
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

test('many sends in one tick leave in one socket write, and arrive in order', async () => {
  const { a, b } = await pair();
  const got = collect(b);
  const write = jest.spyOn(a.stream, 'write');
  for (let i = 0; i < 500; i++) a.send([Op.GET, i + 1, `key-${i}`]);
  expect(write).not.toHaveBeenCalled(); // nothing until the tick ends
  expect(a.bufferedBytes).toBeGreaterThan(0);
  await new Promise((r) => process.nextTick(r));
  expect(write).toHaveBeenCalledTimes(1);
  await until(() => got.length === 500);
  got.forEach((m, i) => expect(m).toEqual([Op.GET, i + 1, `key-${i}`]));

  // A small turn waits for the end of the event-loop iteration, so several small turns
  // (one per client request at pipeline depth 1) share one write.
  a.send([Op.PING, 1000]);
  await new Promise((r) => process.nextTick(r));
  a.send([Op.PING, 1001]);
  await new Promise((r) => process.nextTick(r));
  expect(write).toHaveBeenCalledTimes(1);
  await new Promise((r) => setImmediate(r));
  expect(write).toHaveBeenCalledTimes(2);
  await until(() => got.length === 502);
  expect(got.slice(500)).toEqual([
    [Op.PING, 1000],
    [Op.PING, 1001],
  ]);
  write.mockRestore();
});

test('the peer sees few data events for a coalesced batch', async () => {
  const { a, b } = await pair({}, 'socket');
  const got = collect(b);
  let dataEvents = 0;
  b.stream.on('data', () => dataEvents++);
  for (let i = 0; i < 200; i++) a.send([Op.PING, i + 1]);
  await until(() => got.length === 200);
  expect(dataEvents).toBeLessThanOrEqual(2);
});

test('a batch bigger than the concat limit is written corked, frames intact and in order', async () => {
  const { a, b } = await pair();
  const got = collect(b);
  const cork = jest.spyOn(a.stream, 'cork');
  const big = [Buffer.alloc(200 * 1024, 1), Buffer.alloc(200 * 1024, 2), Buffer.alloc(10, 3)];
  big.forEach((v, i) => a.send([Op.RESULT, i + 1, v]));
  await until(() => got.length === 3);
  expect(cork).toHaveBeenCalledTimes(1);
  got.forEach((m, i) => {
    const [op, id, v] = m as [number, number, Buffer];
    expect([op, id]).toEqual([Op.RESULT, i + 1]);
    expect(v.equals(big[i])).toBe(true); // Buffer.equals: jest's deep equality is slow on 200 KiB
  });
  cork.mockRestore();
});

test('small and large messages and frames, mixed across turns and batches, arrive intact and in order', async () => {
  const { a, b } = await pair();
  const got = collect(b);
  let rnd = 7;
  const random = () => (rnd = (rnd * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const sent: unknown[] = [];
  for (let turn = 0; turn < 40; turn++) {
    // Some turns stage far more than the staging buffer's largest size (64 KiB).
    const n = turn % 10 === 0 ? 2000 : 1 + Math.floor(random() * 60);
    for (let i = 0; i < n; i++) {
      const id = sent.length + 1;
      const r = random();
      const size = r < 0.7 ? Math.floor(random() * 200) : r < 0.9 ? 900 + Math.floor(random() * 400) : r < 0.99 ? 5000 : 300 * 1024;
      const msg = [Op.RESULT, id, Buffer.alloc(size, id % 251)];
      sent.push(msg);
      if (random() < 0.3) a.sendFrame(encodeFrame(msg));
      else a.send(msg);
    }
    await new Promise((r) => (random() < 0.5 ? process.nextTick(r) : setImmediate(r)));
  }
  await until(() => got.length === sent.length);
  got.forEach((m, i) => {
    const [op, id, v] = m as [number, number, Buffer];
    const want = sent[i] as [number, number, Buffer];
    expect([op, id, v.length]).toEqual([want[0], want[1], want[2].length]);
    expect(v.equals(want[2])).toBe(true);
  });
});

test('frames already handed to a socket that cannot write yet are not overwritten by later ones', async () => {
  const { a, b, bStream } = await pair({}, 'socket');
  bStream.pause(); // the peer stops reading: a's socket keeps what it was given
  const sent: Array<[number, number, string]> = [];
  // 20 MB: more than the kernel's socket buffers take on loopback.
  for (let turn = 0; turn < 400; turn++) {
    for (let i = 0; i < 100; i++) {
      const msg: [number, number, string] = [Op.RESULT, sent.length + 1, `value ${sent.length + 1} `.repeat(40)];
      sent.push(msg);
      a.send(msg);
    }
    await new Promise((r) => setImmediate(r));
  }
  expect(a.stream.writableLength).toBeGreaterThan(0);
  const got = collect(b);
  bStream.resume();
  await until(() => got.length === sent.length);
  expect(got).toEqual(sent);
});

test('one pre-encoded frame can be sent on several connections', async () => {
  const p1 = await pair();
  const p2 = await pair();
  const got1 = collect(p1.b);
  const got2 = collect(p2.b);
  const frame = encodeFrame([Op.WRITE, 1, 1, [['s', 'k', Buffer.from('v')]], 1]);
  p1.a.sendFrame(frame);
  p2.a.sendFrame(frame);
  await until(() => got1.length === 1 && got2.length === 1);
  expect(got1[0]).toEqual(got2[0]);
});

test('a frame over the limit from the peer closes the connection with TOO_LARGE', async () => {
  const { a, bStream } = await pair({ maxFrameBytes: 1024 });
  const got = collect(a);
  const closed = once(a, 'close') as Promise<[KvndbError | undefined]>;
  bStream.write(Buffer.concat([encodeFrame([Op.PING, 1]), Buffer.from([0xff, 0xff, 0xff, 0xff])]));
  const [err] = await closed;
  expect(err).toBeInstanceOf(TooLargeError);
  expect(err?.code).toBe(ErrorCode.TOO_LARGE);
  expect(got).toEqual([[Op.PING, 1]]);
  expect(a.isClosed).toBe(true);
  expect(a.stream.destroyed).toBe(true);
});

test('a garbage body closes the connection with PROTOCOL_ERROR and nothing after it is delivered', async () => {
  const { a, bStream } = await pair();
  const got = collect(a);
  const closed = once(a, 'close') as Promise<[KvndbError | undefined]>;
  bStream.write(Buffer.concat([Buffer.from([0, 0, 0, 2, 0x92, 0x01]), encodeFrame([Op.PING, 2])]));
  const [err] = await closed;
  expect(err).toBeInstanceOf(ProtocolError);
  expect(got).toEqual([]);
});

test('sending a message over the frame limit throws TOO_LARGE and leaves the connection usable', async () => {
  const { a, b } = await pair({ maxFrameBytes: 1024 });
  const got = collect(b);
  expect(() => a.send([Op.RESULT, 1, Buffer.alloc(2048)])).toThrow(TooLargeError);
  a.send([Op.PING, 2]);
  await until(() => got.length === 1);
  expect(got).toEqual([[Op.PING, 2]]);
});

test('sendErrorAndClose delivers the error frame, then the connection closes', async () => {
  const { a, b } = await pair();
  const got = collect(b);
  const bClosed = once(b, 'close');
  const aClosed = once(a, 'close') as Promise<[KvndbError | undefined]>;
  a.sendErrorAndClose(KvndbError.authFailed());
  const [aErr] = await aClosed;
  expect(aErr?.code).toBe(ErrorCode.AUTH_FAILED);
  await bClosed;
  expect(got).toEqual([[Op.ERROR, 0, 'AUTH_FAILED', expect.stringMatching(/authentication failed/), null]]);
});

test('close() emits close once with its error; later sends are ignored', async () => {
  const { a } = await pair();
  const events: (KvndbError | undefined)[] = [];
  a.on('close', (e) => events.push(e));
  const err = KvndbError.connectionClosed('done here');
  a.close(err);
  a.close(KvndbError.protocol('second close'));
  expect(() => a.send([Op.PING, 1])).not.toThrow();
  await new Promise((r) => setImmediate(r));
  expect(events).toEqual([err]);
  expect(a.bufferedBytes).toBe(0);
});

test('the peer hanging up closes the connection without an error', async () => {
  const { a, b } = await pair();
  const closed = once(a, 'close') as Promise<[KvndbError | undefined]>;
  b.stream.end();
  const [err] = await closed;
  expect(err).toBeUndefined();
  expect(a.isClosed).toBe(true);
});

test('the address names the remote end', async () => {
  const { a } = await pair({}, 'socket');
  expect(a.address).toBe(`127.0.0.1:${(server.address() as net.AddressInfo).port}`);
});

test('over the in-process transport the address says so', async () => {
  const { a } = await pair();
  expect(a.address).toBe('in-process');
});

describe('hold()', () => {
  test('messages arriving after hold() wait for the next handler and reach it in order', async () => {
    const net = await import('node:net');
    const { FramedConnection } = await import('./framed-connection');
    const { encodeFrame } = await import('../codec/codec');
    const peers: import('node:net').Socket[] = [];
    const server = net.createServer((s) => {
      peers.push(s);
      s.write(Buffer.concat([encodeFrame([1]), encodeFrame([2]), encodeFrame([3])]));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const conn = new FramedConnection(net.connect(port, '127.0.0.1'));
    const first: unknown[] = [];
    const gotFirst = new Promise<void>((resolve) => {
      conn.onMessage = (m) => {
        first.push(m);
        conn.hold(); // as a handshake does when its last message arrives
        resolve();
      };
    });
    await gotFirst;
    await new Promise((r) => setTimeout(r, 20));
    const later: unknown[] = [];
    conn.onMessage = (m) => later.push(m);
    expect(first).toEqual([[1]]);
    expect(later).toEqual([[2], [3]]);
    conn.close();
    peers.forEach((p) => p.destroy());
    await new Promise((r) => server.close(r));
  });
});

test('a process whose peer keeps sending after sendErrorAndClose stays alive until the connection closes', async () => {
  // Two processes, as between a router and a replica: the flooder sends a frame over the
  // limit and then keeps sending; the other side must see 'close' (after the 2 s hang-up),
  // not have its event loop run dry while its paused socket is the only thing left.
  const { spawn } = await import('node:child_process');
  const path = await import('node:path');
  const flooder = spawn(process.execPath, [
    '-e',
    `const net = require('node:net');
     const server = net.createServer((s) => {
       s.on('error', () => {});
       const head = Buffer.alloc(4); head.writeUInt32BE(0xffffffff);
       s.write(head);
       const junk = Buffer.alloc(64 * 1024, 1);
       const t = setInterval(() => { if (!s.destroyed) s.write(junk); }, 5);
       s.on('close', () => { clearInterval(t); server.close(); });
     });
     server.listen(0, '127.0.0.1', () => console.log(server.address().port));
     setTimeout(() => process.exit(0), 10000);`,
  ]);
  try {
    const [portLine] = (await once(flooder.stdout, 'data')) as [Buffer];
    const shared = path.resolve(__dirname, '../../dist/index.js');
    const side = spawn(process.execPath, [
      '-e',
      `const net = require('node:net');
       const { FramedConnection } = require(${JSON.stringify(shared)});
       const socket = net.connect(${Number(portLine.toString())}, '127.0.0.1', () => {
         const conn = new FramedConnection(socket, { maxFrameBytes: 1024 });
         conn.once('close', (err) => console.log('closed: ' + (err && err.code)));
       });`,
    ]);
    let out = '';
    side.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const [code] = (await once(side, 'exit')) as [number];
    expect(out).toMatch(/closed: TOO_LARGE/);
    expect(code).toBe(0);
  } finally {
    flooder.kill('SIGKILL');
  }
});
