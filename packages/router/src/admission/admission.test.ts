/** The router's door: handshakes, protocol errors, and transports other than its port. */
import {
  FRAME_HEADER_BYTES,
  Op,
  PROTOCOL_VERSION,
  peerHandshake,
  InProcessTransport,
} from '@kvndb/shared';
import { Router } from '../index';
import {
  startRouter,
  rawConnect,
  nextMessage,
  closed,
  waitFor,
  delay,
  collecting,
  b,
  FakeClient,
  FakeReplica,
  replicaStatus,
  inSync,
  twoInSync,
  expectError,
} from '../testing/fake-peers';

describe('handshake', () => {
  test('WELCOME with the router position and limits; the listening address is reported', async () => {
    const logs: string[] = [];
    const router = await startRouter({ password: 'pw', logger: collecting(logs, 'info') });
    expect(logs).toContain(`listening on 127.0.0.1:${router.address.port}`);
    const c = await FakeClient.open(router, 'pw');
    expect(c.welcome).toMatchObject({ epoch: 0, seq: 0, maxKeyBytes: 64 * 1024, maxValueBytes: 64 * 1024 * 1024 });
    expect(typeof c.welcome.version).toBe('string');
    expect(await c.request(Op.PING)).toBe('PONG');
  });

  test('wrong password: AUTH_FAILED after a delay, connection closed', async () => {
    const router = await startRouter({ password: 'right' });
    const conn = await rawConnect(router);
    const t0 = Date.now();
    const err = await expectError(peerHandshake(conn, { role: 'client', secret: 'wrong', info: {} }), 'AUTH_FAILED');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    expect(err.remote).toBe(true);
    await closed(conn);
    // No password at all is refused the same way.
    await expectError(peerHandshake(await rawConnect(router), { role: 'client', info: {} }), 'AUTH_FAILED');
  });

  test('a client credential cannot register as a replica when the replica password differs', async () => {
    const router = await startRouter({ password: 'client-pw', replicaPassword: 'replica-pw' });
    await expectError(
      peerHandshake(await rawConnect(router), { role: 'replica', secret: 'client-pw', info: { name: 'evil', epoch: 0, seq: 0, reset: false } }),
      'AUTH_FAILED',
    );
    await expectError(peerHandshake(await rawConnect(router), { role: 'client', secret: 'replica-pw', info: {} }), 'AUTH_FAILED');
    const r = new FakeReplica('good', { secret: 'replica-pw' });
    await r.join(router);
    await waitFor('the replica is in sync', () => inSync(router, 'good'));
    const c = await FakeClient.open(router, 'client-pw');
    expect(await c.request(Op.SET, 'k', b('v'), null)).toBe(true);
  });

  test('version mismatch is refused naming both versions', async () => {
    const router = await startRouter();
    const conn = await rawConnect(router);
    const answer = nextMessage(conn);
    conn.send([Op.HELLO, PROTOCOL_VERSION + 1, 'client', {}]);
    const m = await answer;
    expect(m[0]).toBe(Op.ERROR);
    expect(m[2]).toBe('VERSION_MISMATCH');
    expect(m[3]).toMatch(new RegExp(`version ${PROTOCOL_VERSION}\\b`));
    expect(m[3]).toMatch(new RegExp(`version ${PROTOCOL_VERSION + 1}\\b`));
    await closed(conn);
  });

  test('a request before WELCOME is a protocol error', async () => {
    const router = await startRouter();
    const conn = await rawConnect(router);
    const answer = nextMessage(conn);
    conn.send([Op.PING, 1]);
    const m = await answer;
    expect(m.slice(0, 3)).toEqual([Op.ERROR, 0, 'PROTOCOL_ERROR']);
    await closed(conn);
  });

  test('a handshake that never finishes times out', async () => {
    const router = await startRouter({ handshakeTimeoutMs: 100 });
    const conn = await rawConnect(router);
    const answer = nextMessage(conn);
    const m = await answer;
    expect(m[2]).toBe('TIMEOUT');
    await closed(conn);
  });
});

describe('protocol errors', () => {
  test('garbage closes only that connection', async () => {
    const router = await startRouter();
    const good = await FakeClient.open(router);
    const bad = await FakeClient.open(router);
    const answer = nextMessage(bad.conn);
    const garbage = Buffer.alloc(FRAME_HEADER_BYTES + 3);
    garbage.writeUInt32BE(3, 0);
    garbage.set([0xc1, 0xc1, 0xc1], FRAME_HEADER_BYTES); // 0xc1 is never valid MessagePack
    bad.conn.stream.write(garbage);
    const m = await answer;
    expect(m[2]).toBe('PROTOCOL_ERROR');
    await closed(bad.conn);

    const bad2 = await FakeClient.open(router);
    const answer2 = nextMessage(bad2.conn);
    bad2.conn.send([77, 1]);
    expect((await answer2)[2]).toBe('PROTOCOL_ERROR');
    await closed(bad2.conn);

    const bad3 = await FakeClient.open(router);
    const answer3 = nextMessage(bad3.conn);
    bad3.conn.send([Op.GET, 1]); // wrong arity
    expect((await answer3)[2]).toBe('PROTOCOL_ERROR');
    await closed(bad3.conn);

    expect(await good.request(Op.PING)).toBe('PONG');
  });

  test.each([
    ['a WRITE_ACK without a seq', () => [Op.WRITE_ACK, 'not a seq']],
    ['a WRITE_ACKS entry that is not a list of results', (seq: number) => [Op.WRITE_ACKS, seq + 1, [true]]],
    ['a WRITE_ACKS whose first seq is not a number', () => [Op.WRITE_ACKS, 'x', [[true]]]],
    ['an empty WRITE_ACKS', (seq: number) => [Op.WRITE_ACKS, seq + 1, []]],
    ['a WRITE_ACKS that goes back over acknowledged writes', (seq: number) => [Op.WRITE_ACKS, seq, [[true], [true]]]],
    ['a WRITE_ACKS result that is not a write result', (seq: number) => [Op.WRITE_ACKS, seq + 1, [['nonsense']]]],
  ])('a replica sending %s is cut off; the others keep serving', async (_name, make) => {
    const router = await startRouter();
    const { bb } = await twoInSync(router);
    const c = await FakeClient.open(router);
    expect(await c.request(Op.SET, 'k', b('v'), null)).toBe(true);
    bb.conn.send(make(router.status().seq));
    await closed(bb.conn);
    expect(await c.request(Op.SET, 'k2', b('v'), null)).toBe(true);
    expect(await c.request(Op.GET, 'k2')).toEqual(b('v'));
  });
});

describe('in-process transport', () => {
  test('a replica and a client connect through router.serve(transport), with no socket', async () => {
    const router = await startRouter();
    const via = new InProcessTransport('embedded');
    await router.serve(via);
    const a = new FakeReplica('a', { via });
    await a.join(router);
    await waitFor('a in sync', () => inSync(router, 'a'));
    expect(replicaStatus(router, 'a')?.address).toMatch(/^embedded#\d+$/);
    const c = await FakeClient.open(router, undefined, via);
    expect(await c.request(Op.SET, 'k', b('v'))).toBe(true);
    expect(a.get('k')).toBe('v');
    expect(Buffer.from((await c.request(Op.GET, 'k')) as Uint8Array).toString()).toBe('v');
    // A client on the router's port sees the same data.
    const tcp = await FakeClient.open(router);
    expect(Buffer.from((await tcp.request(Op.GET, 'k')) as Uint8Array).toString()).toBe('v');
    expect(router.status().clients).toBe(2);
    await router.stop();
    await closed(c.conn);
    await closed(a.conn);
  });

  test('serve() before start() is refused', async () => {
    const router = new Router({ port: 0 });
    await expect(router.serve(new InProcessTransport())).rejects.toThrow(/not running/);
  });
});
