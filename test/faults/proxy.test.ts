/** The fault proxy keeps a stream's order under delay, cuts, black-holes and heals. */
import net from 'node:net';
import { FaultProxy } from './proxy';

let echo: net.Server;
let proxy: FaultProxy;

beforeEach(async () => {
  echo = net.createServer((s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  proxy = new FaultProxy((echo.address() as net.AddressInfo).port);
  await proxy.start();
});

afterEach(async () => {
  await proxy.stop();
  await new Promise<void>((r) => echo.close(() => r()));
});

function open(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(proxy.port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

function collect(s: net.Socket): { text: () => string } {
  let text = '';
  s.on('data', (d) => (text += d.toString()));
  return { text: () => text };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('delay adds latency and keeps the order, also across a heal', async () => {
  const s = await open();
  const got = collect(s);
  proxy.delay(100);
  const started = Date.now();
  for (let i = 0; i < 50; i++) {
    s.write(`${i},`);
    if (i === 25) proxy.heal();
    await sleep(2);
  }
  await new Promise<void>((r) => {
    const check = () => (got.text().split(',').length > 50 ? r() : setTimeout(check, 5));
    check();
  });
  expect(got.text()).toBe(Array.from({ length: 50 }, (_, i) => `${i},`).join(''));
  expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  s.destroy();
});

test('blackhole holds data and keeps the socket open; heal delivers it', async () => {
  const s = await open();
  const got = collect(s);
  proxy.blackhole();
  s.write('held');
  await sleep(200);
  expect(got.text()).toBe('');
  expect(s.destroyed).toBe(false);
  proxy.heal();
  await sleep(100);
  expect(got.text()).toBe('held');
  s.destroy();
});

test('cut resets open connections and refuses new ones until healed', async () => {
  const s = await open();
  const closed = new Promise<void>((r) => s.once('close', () => r()));
  s.on('error', () => undefined);
  proxy.cut();
  await closed;
  // A new connection is reset at once (it may not even see its connect event).
  const t = net.connect(proxy.port, '127.0.0.1');
  t.on('error', () => undefined);
  await new Promise<void>((r) => t.once('close', () => r()));
  proxy.heal();
  const u = await open();
  const got = collect(u);
  u.write('back');
  await sleep(100);
  expect(got.text()).toBe('back');
  u.destroy();
});
