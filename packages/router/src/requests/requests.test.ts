/** Requests end to end: reads, writes and their acks, limits, slow replicas. */
import {
  Op,
  type RouterStatus,
} from '@kvndb/shared';
import {
  startRouter,
  closed,
  waitFor,
  delay,
  b,
  FakeClient,
  FakeReplica,
  replicaStatus,
  inSync,
  twoInSync,
  expectError,
} from '../testing/fake-peers';

describe('requests', () => {
  test('set/get through two replicas: both apply every write, reads are spread', async () => {
    const router = await startRouter();
    const { a, bb: c2 } = await twoInSync(router);
    const c = await FakeClient.open(router);
    expect(await c.request(Op.SET, 'greeting', b('hello'), null)).toBe(true);
    expect(await c.request(Op.SET, 'greeting', b('again'), { nx: true })).toBe(false);
    expect(await c.request(Op.SET, 'greeting', b('hi'), { get: true })).toEqual([true, b('hello')]);
    expect(await c.request(Op.MSET, [['x', b('1')], ['y', b('2')]])).toBeNull();
    expect(await c.request(Op.BATCH, [['s', 'z', b('3')], ['d', 'x'], ['d', 'nope']])).toEqual([true, true, false]);
    expect(await c.request(Op.DEL, 'y')).toBe(true);
    for (let i = 0; i < 10; i++) expect(await c.request(Op.GET, 'greeting')).toEqual(b('hi'));
    expect(await c.request(Op.GET, 'missing')).toBeNull();
    expect(await c.request(Op.HAS, 'z')).toBe(true);
    expect(await c.request(Op.MGET, ['z', 'x', 'greeting'])).toEqual([b('3'), null, b('hi')]);
    expect(await c.request(Op.KEYS, '', null, null)).toEqual([['greeting', 'z'], null]);
    expect(await c.request(Op.KEYS, '', 1, null)).toEqual([['greeting'], 'greeting']);
    expect(a.violations).toEqual([]);
    expect(c2.violations).toEqual([]);
    expect([...a.data.entries()]).toEqual([...c2.data.entries()]);
    expect(a.readsServed).toBeGreaterThan(2);
    expect(c2.readsServed).toBeGreaterThan(2);
    const s: RouterStatus = (await c.request(Op.STATUS)) as RouterStatus;
    expect(s.seq).toBe(a.seq);
    expect(s.replicas.map((r) => r.state)).toEqual(['in-sync', 'in-sync']);
    expect(s.ops.writes).toBe(6);
    expect(s.clients).toBe(1);
  });

  test('bad arguments are answered per request; the connection stays usable', async () => {
    const router = await startRouter();
    const r = new FakeReplica('a');
    await r.join(router);
    await waitFor('in sync', () => inSync(router, 'a'));
    const c = await FakeClient.open(router);
    await expectError(c.request(Op.GET, ''), 'BAD_REQUEST');
    await expectError(c.request(Op.SET, 'k', 'not bytes', null), 'BAD_REQUEST');
    await expectError(c.request(Op.SET, 'k', b('v'), { nx: true, xx: true }), 'BAD_REQUEST');
    await expectError(c.request(Op.BATCH, [['x', 'k']]), 'BAD_REQUEST');
    await expectError(c.request(Op.GET, 'k'.repeat(70 * 1024)), 'TOO_LARGE');
    expect(await c.request(Op.PING)).toBe('PONG');
  });

  test('NO_REPLICAS for reads and writes when no replica is in sync; PING and STATUS still answer', async () => {
    const router = await startRouter();
    const c = await FakeClient.open(router);
    await expectError(c.request(Op.GET, 'k'), 'NO_REPLICAS');
    await expectError(c.request(Op.SET, 'k', b('v'), null), 'NO_REPLICAS');
    expect(await c.request(Op.PING)).toBe('PONG');
    expect(((await c.request(Op.STATUS)) as RouterStatus).replicas).toEqual([]);
    expect(router.status().seq).toBe(0);
  });

  test('write-ack majority waits for enough acks; TIMEOUT says how many applied', async () => {
    const router = await startRouter({ writeAck: 'majority', writeTimeoutMs: 400 });
    const { a, bb } = await twoInSync(router);
    const c = await FakeClient.open(router);
    bb.holdAcks = true;
    let answered = false;
    const p = c.request(Op.SET, 'k', b('v'), null).then((v) => {
      answered = true;
      return v;
    });
    await waitFor('a applied the write', () => a.get('k') === 'v');
    await delay(50);
    expect(answered).toBe(false); // a alone is not a majority of two
    bb.release();
    expect(await p).toBe(true);

    bb.holdAcks = true;
    const err = await expectError(c.request(Op.SET, 'k2', b('v'), null), 'TIMEOUT');
    expect(err.details).toEqual({ applied: 1, required: 2 });
  });

  test('one WRITE_ACKS acknowledges a run of writes, each client getting its own result', async () => {
    const router = await startRouter({ writeAck: 'all' });
    const a = new FakeReplica('a');
    await a.join(router);
    await waitFor('a in sync', () => inSync(router, 'a'));
    const c = await FakeClient.open(router);
    a.holdAcks = true;
    const answers = Promise.all([
      c.request(Op.SET, 'x', b('1'), null),
      c.request(Op.SET, 'x', b('2'), { nx: true }),
      c.request(Op.DEL, 'nothing'),
      c.request(Op.SET, 'x', b('3'), { get: true }),
    ]);
    await waitFor('a applied all four', () => a.get('x') === '3');
    a.releaseAsOne();
    expect(await answers).toEqual([true, false, false, [true, b('1')]]);
    expect(router.status().replicas[0].seq).toBe(router.status().seq);
  });

  test('a replica that disconnects with a write pending fails it once the requirement cannot be met', async () => {
    const router = await startRouter({ writeAck: 'all', writeTimeoutMs: 5000 });
    const { a, bb } = await twoInSync(router);
    const c = await FakeClient.open(router);
    bb.holdAcks = true;
    const p = expectError(c.request(Op.SET, 'k', b('v'), null), 'TIMEOUT');
    await waitFor('a applied the write', () => a.get('k') === 'v');
    await bb.leave();
    expect((await p).details).toEqual({ applied: 1, required: 2 });
  });

  test('reads outstanding on a replica that dies are retried on another', async () => {
    const router = await startRouter();
    const { a, bb } = await twoInSync(router);
    const c = await FakeClient.open(router);
    await c.request(Op.SET, 'k', b('v'), null);
    a.swallowReads = true;
    const reads = [c.request(Op.GET, 'k'), c.request(Op.GET, 'k'), c.request(Op.GET, 'k')];
    await waitFor('a holds a read', () => (replicaStatus(router, 'a')?.inflightReads ?? 0) > 0);
    await a.leave();
    expect(await Promise.all(reads)).toEqual([b('v'), b('v'), b('v')]);
    await bb.leave();
    await expectError(c.request(Op.GET, 'k'), 'NO_REPLICAS');
  });

  test('too many requests in flight on one connection', async () => {
    const router = await startRouter({ maxInflightPerClient: 2 });
    const a = new FakeReplica('a');
    await a.join(router);
    await waitFor('in sync', () => inSync(router, 'a'));
    const c = await FakeClient.open(router);
    a.holdAcks = true;
    const p1 = c.request(Op.SET, 'a', b('1'), null);
    const p2 = c.request(Op.SET, 'b', b('2'), null);
    await expectError(c.request(Op.SET, 'c', b('3'), null), 'TOO_MANY_REQUESTS');
    a.release();
    expect(await Promise.all([p1, p2])).toEqual([true, true]);
  });

  test('dispatch runs a request without a connection', async () => {
    const router = await startRouter();
    const a = new FakeReplica('a');
    await a.join(router);
    await waitFor('in sync', () => inSync(router, 'a'));
    const call = (op: number, args: unknown[]) =>
      new Promise<unknown>((resolve, reject) => router.dispatch(op, args, (err, v) => (err ? reject(err) : resolve(v))));
    expect(await call(Op.PING, [])).toBe('PONG');
    expect(await call(Op.SET, ['k', b('v'), null])).toBe(true);
    expect(await call(Op.GET, ['k'])).toEqual(b('v'));
    await expectError(call(Op.GET, []), 'BAD_REQUEST');
    await expectError(call(999, []), 'NOT_SUPPORTED');
  });

  test('stop() fails in-flight requests with SHUTTING_DOWN and closes every connection', async () => {
    const router = await startRouter();
    const a = new FakeReplica('a');
    await a.join(router);
    await waitFor('in sync', () => inSync(router, 'a'));
    const c = await FakeClient.open(router);
    a.holdAcks = true;
    const p = expectError(c.request(Op.SET, 'k', b('v'), null), 'SHUTTING_DOWN');
    await waitFor('a got the write', () => a.seq > 0 && a.get('k') === 'v');
    await router.stop();
    await p;
    await closed(c.conn);
    await closed(a.conn);
  });
});

describe('slow replicas', () => {
  async function writeUntil(c: FakeClient, cond: () => boolean, what: string): Promise<void> {
    const big = Buffer.alloc(256 * 1024, 7);
    for (let i = 0; i < 400 && !cond(); i++) await c.request(Op.SET, `big${i % 8}`, big, null);
    if (!cond()) throw new Error(`never saw ${what}`);
  }

  test('a replica that stops reading turns lagging (no reads), then in sync again once it drains', async () => {
    const router = await startRouter({ writeAck: 'one', replicaWatermarks: { high: 512 * 1024, low: 64 * 1024, graceMs: 0 } });
    const a = new FakeReplica('a');
    const slow = new FakeReplica('slow');
    await a.join(router);
    await slow.join(router);
    await waitFor('both in sync', () => inSync(router, 'a', 'slow'));
    const c = await FakeClient.open(router);
    slow.conn.pause();
    await writeUntil(c, () => replicaStatus(router, 'slow')?.state === 'lagging', 'slow lagging');
    const readsBefore = slow.readsServed;
    for (let i = 0; i < 5; i++) await c.request(Op.GET, 'big0');
    expect(slow.readsServed).toBe(readsBefore); // every read went to a
    slow.conn.resume();
    await waitFor('slow in sync again', () => inSync(router, 'slow'), 10_000);
    await waitFor('slow applied everything', () => slow.seq === router.status().seq, 10_000);
    expect(slow.violations).toEqual([]);
  });

  test('a replica past the hard limit is disconnected', async () => {
    const router = await startRouter({
      writeAck: 'one',
      backlogBytes: 256 * 1024,
      replicaWatermarks: { high: 256 * 1024, low: 64 * 1024, hard: 1024 * 1024 },
    });
    const a = new FakeReplica('a');
    const slow = new FakeReplica('slow');
    await a.join(router);
    await slow.join(router);
    await waitFor('both in sync', () => inSync(router, 'a', 'slow'));
    const c = await FakeClient.open(router);
    slow.conn.pause();
    await writeUntil(c, () => !replicaStatus(router, 'slow'), 'slow disconnected');
    expect(router.status().replicas.map((r) => r.name)).toEqual(['a']);
  });
});
