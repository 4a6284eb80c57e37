import { FramedConnection } from './framed-connection';
import { InProcessTransport } from './in-process-transport';
import type { Link } from './transport';

describe('InProcessTransport', () => {
  it('carries frames both ways between a dialer and the listener', async () => {
    const t = new InProcessTransport('test');
    const accepted: Link[] = [];
    const listener = await t.listen((l) => accepted.push(l));
    const near = new FramedConnection((await t.dial()).stream);
    await new Promise((r) => setImmediate(r));
    expect(accepted).toHaveLength(1);
    const far = new FramedConnection(accepted[0].stream);
    const got: unknown[] = [];
    far.onMessage = (m) => {
      got.push(m);
      far.send(['echo', m]);
    };
    const back = new Promise((resolve) => (near.onMessage = resolve));
    near.send([1, 'hello', Buffer.from('x')]);
    expect(await back).toEqual(['echo', [1, 'hello', Buffer.from('x')]]);
    expect(got).toHaveLength(1);
    const closed = new Promise((r) => far.once('close', r));
    near.close();
    await closed;
    await listener.close();
  });

  it('holds a writer back while the reader is paused, and lets it go on when it reads', async () => {
    const t = new InProcessTransport();
    let far: Link | undefined;
    await t.listen((l) => (far = l));
    const near = (await t.dial()).stream;
    await new Promise((r) => setImmediate(r));
    far!.stream.pause();
    const chunk = Buffer.alloc(64 * 1024);
    let writes = 0;
    while (near.write(chunk)) writes++;
    expect(writes).toBeLessThan(10);
    const drained = new Promise((r) => near.once('drain', r));
    let read = 0;
    far!.stream.on('data', (c: Buffer) => (read += c.length));
    far!.stream.resume();
    await drained;
    expect(read).toBeGreaterThan(0);
    near.destroy();
  });

  it('refuses a dial when nothing listens', async () => {
    await expect(new InProcessTransport('nobody').dial()).rejects.toThrow(/nothing is listening/);
  });
});
