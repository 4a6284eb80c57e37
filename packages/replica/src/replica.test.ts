/** The replica's link to the router: joining, reconnecting, secrets, --reset, stop, and a SQLite store end to end. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InProcessTransport, Op, socketTransport } from '@kvndb/shared';
import { Replica, type ReplicaOptions } from './replica';
import { MemoryStore } from './store/memory-store';
import { SqliteStore } from './store/sqlite-store';
import { FakeRouter, b, set, linesLogger, useReplicaLink } from './testing/fake-router';

describe('Replica link', () => {
  const link = useReplicaLink();

  test('joins with its stored position and name, applies writes, acks them and gets in sync', async () => {
    const store = new MemoryStore();
    store.apply([{ epoch: 5, seq: 3, time: 1, ops: [set('old', 'x')] }]);
    const r = link.startReplica(store);
    const connected = new Promise((resolve) => r.once('connected', resolve));
    const inSync = new Promise<void>((resolve) => r.once('in-sync', resolve));
    const peer = await link.router.peer(0);
    await connected;
    expect(peer.hello).toEqual({ name: 'r1', epoch: 5, seq: 3, reset: false, time: expect.any(Number), nextExpiry: 0 });
    expect(r.state).toBe('syncing');
    peer.send([Op.SYNC_START, 'incremental', 5, 3, {}]);
    peer.send([Op.WRITE, 5, 4, [set('a', '1'), ['s', 'a', b('2'), { nx: true }]], 1]);
    peer.send([Op.WRITE, 5, 5, [['d', 'old'], ['s', 'a', b('3'), { get: true }]], 1]);
    expect(await peer.next(Op.WRITE_ACK)).toEqual([Op.WRITE_ACK, 4, [true, false]]);
    expect(await peer.next(Op.WRITE_ACK)).toEqual([Op.WRITE_ACK, 5, [true, [true, b('1')]]]);
    peer.send([Op.SYNC_DONE, 5, 5]);
    await inSync;
    expect(r.state).toBe('in-sync');
    expect(store.position()).toEqual({ epoch: 5, seq: 5 });
    expect(store.get('a', 1)).toEqual(b('3'));
    expect(store.has('old', 1)).toBe(false);
  });

  test('frames that arrive in the same chunk as WELCOME are not lost', async () => {
    link.router.afterWelcome = [
      [Op.SYNC_START, 'incremental', 1, 0, {}],
      [Op.WRITE, 1, 1, [set('a', '1')], 1],
      [Op.SYNC_DONE, 1, 1],
    ];
    const store = new MemoryStore();
    const r = link.startReplica(store);
    const inSync = new Promise<void>((resolve) => r.once('in-sync', resolve));
    const peer = await link.router.peer(0);
    expect(await peer.next(Op.WRITE_ACK)).toEqual([Op.WRITE_ACK, 1, [true]]);
    await inSync;
    expect(store.get('a', 1)).toEqual(b('1'));
  });

  test('reconnects after the router closes the connection and reports its new position', async () => {
    const store = new MemoryStore();
    const r = link.startReplica(store);
    const peer = await link.router.peer(0);
    peer.send([Op.WRITE, 3, 1, [set('a', '1')], 1]);
    peer.send([Op.WRITE, 3, 2, [set('b', '2')], 1]);
    await peer.next(Op.WRITE_ACK);
    await peer.next(Op.WRITE_ACK);
    const states: string[] = [];
    r.on('disconnected', () => states.push(r.state));
    peer.conn.close();
    const again = await link.router.peer(1);
    expect(states).toEqual(['connecting']);
    expect(again.hello).toEqual({ name: 'r1', epoch: 3, seq: 2, reset: false, time: expect.any(Number), nextExpiry: 0 });
    again.send([Op.WRITE, 3, 3, [set('c', '3')], 1]);
    expect(await again.next(Op.WRITE_ACK)).toEqual([Op.WRITE_ACK, 3, [true]]);
  });

  test('keeps retrying while the router is down (over TCP: connection refused), then joins when it comes up', async () => {
    const tcp = await new FakeRouter('', socketTransport({ host: '127.0.0.1', port: 0 })).start();
    const port = tcp.port;
    await tcp.close();
    const store = new MemoryStore();
    link.startReplica(store, { host: '127.0.0.1', port });
    await new Promise((r) => setTimeout(r, 200));
    await link.router.close();
    link.router = await new FakeRouter('', socketTransport({ host: '127.0.0.1', port })).start();
    const peer = await link.router.peer(0);
    expect(peer.hello).toMatchObject({ epoch: 0, seq: 0 });
  });

  test("the reconnect backoff is capped at 1000 ms by default, below the router's 2000 ms join window", async () => {
    await link.router.close();
    const attempts: number[] = [];
    const logger = {
      info: (m: string) => {
        if (m.startsWith('connecting to router')) attempts.push(Date.now());
      },
      warn: () => {},
      error: () => {},
      debug: () => {},
    } as unknown as ReplicaOptions['logger'];
    // Nothing listens on it: every attempt fails at once.
    link.replica = new Replica({ transport: new InProcessTransport('nobody'), store: new MemoryStore(), name: 'r1', logger });
    link.replica.start();
    await new Promise((r) => setTimeout(r, 4200));
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]);
    expect(gaps.length).toBeGreaterThanOrEqual(4);
    // It grows towards the cap, and never past it (plus timer slack).
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...gaps)).toBeLessThan(1150);
    link.router = await new FakeRouter().start();
  });

  test('a wrong secret is logged and retried with backoff, not given up', async () => {
    await link.router.close();
    link.router = await new FakeRouter('right').start();
    const lines: string[] = [];
    const logger = linesLogger(lines);
    link.startReplica(new MemoryStore(), { password: 'wrong', logger });
    const deadline = Date.now() + 5000;
    while (link.router.helloCount < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(link.router.helloCount).toBeGreaterThanOrEqual(3);
    expect(link.router.peers).toHaveLength(0);
    expect(lines.some((l) => /^error .*refused this replica's secret \(attempt 1\)/.test(l))).toBe(true);
    expect(lines.some((l) => l === `info connecting to router at ${link.router.logName} (attempt 2)`)).toBe(true);
  });

  test('with the right secret it joins', async () => {
    await link.router.close();
    link.router = await new FakeRouter('s3cret').start();
    link.startReplica(new MemoryStore(), { password: 's3cret' });
    const peer = await link.router.peer(0);
    expect(peer.hello.name).toBe('r1');
  });

  test('--reset wipes the store and asks for a full resync on the first join only', async () => {
    const store = new MemoryStore();
    store.apply([{ epoch: 2, seq: 9, time: 1, ops: [set('a', '1')] }]);
    link.startReplica(store, { reset: true });
    const peer = await link.router.peer(0);
    expect(peer.hello).toEqual({ name: 'r1', epoch: 0, seq: 0, reset: true, time: expect.any(Number), nextExpiry: 0 });
    expect(store.count()).toBe(0);
    peer.conn.close();
    const again = await link.router.peer(1);
    expect(again.hello.reset).toBe(false);
  });

  test('a store holding data at position (0,0) is wiped before joining', async () => {
    const store = new MemoryStore();
    store.load([
      ['half', b('loaded'), 1, 0, 0],
      ['snap', b('shot'), 1, 0, 0],
    ]);
    link.startReplica(store);
    const peer = await link.router.peer(0);
    expect(peer.hello).toMatchObject({ epoch: 0, seq: 0 });
    expect(store.count()).toBe(0);
  });

  test('an unknown message makes the replica disconnect (and rejoin)', async () => {
    link.startReplica(new MemoryStore());
    const peer = await link.router.peer(0);
    peer.send([Op.SET, 1, 'k', b('v'), null]);
    const err = await peer.next(Op.ERROR);
    expect(err[2]).toBe('PROTOCOL_ERROR');
    await peer.waitClosed();
    await link.router.peer(1);
  });

  test('stop() disconnects, stops retrying and closes the store', async () => {
    const store = new MemoryStore();
    const close = jest.spyOn(store, 'close');
    const r = link.startReplica(store);
    const peer = await link.router.peer(0);
    await r.stop();
    expect(r.state).toBe('stopped');
    expect(close).toHaveBeenCalledTimes(1);
    await peer.waitClosed();
    await new Promise((res) => setTimeout(res, 150));
    expect(link.router.helloCount).toBe(1);
    await r.stop(); // idempotent
  });

  test('works end to end over a SQLite store (writes persisted, position reported on rejoin)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvndb-replica-'));
    try {
      const file = path.join(dir, 'r.db');
      const r = link.startReplica(new SqliteStore(file));
      const peer = await link.router.peer(0);
      peer.sendTogether([
        [Op.WRITE, 4, 1, [set('a', '1')], 1],
        [Op.WRITE, 4, 2, [set('b', '2'), ['s', 'a', b('x'), { xx: true, get: true }]], 1],
      ]);
      await peer.next(Op.WRITE_ACK);
      expect(await peer.next(Op.WRITE_ACK)).toEqual([Op.WRITE_ACK, 2, [true, [true, b('1')]]]);
      await r.stop();
      link.replica = null;
      const reopened = new SqliteStore(file);
      expect(reopened.position()).toEqual({ epoch: 4, seq: 2 });
      link.startReplica(reopened);
      const again = await link.router.peer(1);
      expect(again.hello).toMatchObject({ epoch: 4, seq: 2 });
      expect(await again.request(Op.GET, 'a')).toEqual([Op.RESULT, expect.any(Number), b('x')]);
    } finally {
      await link.replica?.stop();
      link.replica = null;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
