import { MessageChannel, Worker } from 'node:worker_threads';
import { FramedConnection } from './framed-connection';
import { PortTransport, portStream } from './port-transport';
import type { Link } from './transport';

describe('PortTransport', () => {
  it('carries frames both ways between a dialer and the listener, and a close ends both sides', async () => {
    const { port1, port2 } = new MessageChannel();
    const listening = new PortTransport(port1, 'test');
    const dialing = new PortTransport(port2, 'test', true);
    const accepted: Link[] = [];
    const listener = await listening.listen((l) => accepted.push(l));
    const link = await dialing.dial();
    expect(link.inProcess).toBe(true);
    const near = new FramedConnection(link.stream, { inProcess: link.inProcess });
    await new Promise((r) => setTimeout(r, 20));
    expect(accepted).toHaveLength(1);
    expect(accepted[0].address).toBe('test#1');
    expect(accepted[0].inProcess).toBeFalsy();
    const far = new FramedConnection(accepted[0].stream);
    far.onMessage = (m) => far.send(['echo', m]);
    const got: unknown[] = [];
    const all = new Promise<void>((resolve) => {
      near.onMessage = (m) => {
        got.push(m);
        if (got.length === 100) resolve();
      };
    });
    for (let i = 0; i < 100; i++) near.send([i, 'hello', Buffer.alloc(i * 1000, i)]);
    await all;
    expect(got[99]).toEqual(['echo', [99, 'hello', Buffer.alloc(99000, 99)]]);
    const closed = new Promise((r) => far.once('close', r));
    near.close();
    await closed;
    await listener.close();
    port1.close();
  });

  it('holds a writer back while the reader does not read, and lets it go on when it does', async () => {
    const { port1, port2 } = new MessageChannel();
    const a = portStream(port1);
    const b = portStream(port2);
    b.pause();
    const chunk = Buffer.alloc(256 * 1024);
    let held = false;
    for (let i = 0; i < 200 && !held; i++) {
      held = !(await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 200);
        a.write(chunk, () => {
          clearTimeout(timer);
          resolve(true);
        });
      }));
    }
    // Some megabytes went, then the writer had to wait.
    expect(held).toBe(true);
    let read = 0;
    b.on('data', (c: Buffer) => (read += c.length));
    const drained = new Promise((r) => a.once('drain', r));
    b.resume();
    await drained;
    expect(read).toBeGreaterThan(4 * 1024 * 1024);
    a.destroy();
    await new Promise((r) => b.once('close', r));
  });

  it("ends the stream when the other end's thread exits without closing it", async () => {
    const { port1, port2 } = new MessageChannel();
    const stream = portStream(port1);
    const worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       workerData.port.postMessage({ b: new Uint8Array([1, 2, 3]) });
       setTimeout(() => process.exit(3), 50);`,
      { eval: true, workerData: { port: port2 }, transferList: [port2] },
    );
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    await new Promise((r) => stream.once('close', r));
    expect(Buffer.concat(chunks)).toEqual(Buffer.from([1, 2, 3]));
    expect(await new Promise((r) => worker.once('exit', r))).toBe(3);
  });
});
