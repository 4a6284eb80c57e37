/** A replica as the joiner of a resync: loading a snapshot, truncation, aborts, and refusing a backward one. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Op } from '@kvndb/shared';
import { MemoryStore } from '../store/memory-store';
import { SqliteStore } from '../store/sqlite-store';
import { wouldDiscardWrites } from './resync-joiner';
import { b, set, linesLogger, useReplicaLink } from '../testing/fake-router';

describe('Replica as resync joiner', () => {
  const link = useReplicaLink();

  test('loads a full resync snapshot as joiner, then applies the writes after it', async () => {
    const store = new MemoryStore();
    store.apply([{ epoch: 1, seq: 50, time: 1, ops: [set('stale', 'x')] }]);
    const r = link.startReplica(store);
    const peer = await link.router.peer(0);
    peer.send([Op.SYNC_START, 'full', 8, 100, { resyncId: 9 }]);
    peer.send([Op.SNAPSHOT_CHUNK, 9, [['a', b('1'), 1, 0, 0], ['b', b('2'), 1, 0, 0]]]);
    expect(await peer.next(Op.SNAPSHOT_ACK)).toEqual([Op.SNAPSHOT_ACK, 9, 1]);
    expect(store.has('stale', 1)).toBe(false);
    expect(store.position()).toEqual({ epoch: 0, seq: 0 });
    peer.send([Op.SNAPSHOT_CHUNK, 9, [['c', b('3'), 1, 0, 0]]]);
    expect(await peer.next(Op.SNAPSHOT_ACK)).toEqual([Op.SNAPSHOT_ACK, 9, 1]);
    peer.send([Op.SNAPSHOT_END, 9, 3]);
    peer.send([Op.WRITE, 8, 101, [['d', 'a']], 1]);
    expect(await peer.next(Op.WRITE_ACK)).toEqual([Op.WRITE_ACK, 101, [true]]);
    const inSync = new Promise<void>((resolve) => r.once('in-sync', resolve));
    peer.send([Op.SYNC_DONE, 8, 101]);
    await inSync;
    expect(store.position()).toEqual({ epoch: 8, seq: 101 });
    expect(store.scan('', null, 10, 1)).toEqual(['b', 'c']);
  });

  test('a truncated snapshot makes the joiner disconnect and come back empty at (0,0)', async () => {
    const store = new MemoryStore();
    link.startReplica(store);
    const peer = await link.router.peer(0);
    peer.send([Op.SYNC_START, 'full', 8, 100, { resyncId: 4 }]);
    peer.send([Op.SNAPSHOT_CHUNK, 4, [['a', b('1'), 1, 0, 0]]]);
    await peer.next(Op.SNAPSHOT_ACK);
    peer.send([Op.SNAPSHOT_END, 4, 2]);
    await peer.waitClosed();
    const again = await link.router.peer(1);
    expect(again.hello).toMatchObject({ epoch: 0, seq: 0 });
    expect(store.count()).toBe(0);
  });

  test('SNAPSHOT_ABORT as joiner wipes and waits for the next SYNC_START', async () => {
    const store = new MemoryStore();
    link.startReplica(store);
    const peer = await link.router.peer(0);
    peer.send([Op.SYNC_START, 'full', 8, 100, { resyncId: 1 }]);
    peer.send([Op.SNAPSHOT_CHUNK, 1, [['a', b('1'), 1, 0, 0]]]);
    await peer.next(Op.SNAPSHOT_ACK);
    peer.send([Op.SNAPSHOT_ABORT, 1, 'source went away']);
    peer.send([Op.SYNC_START, 'full', 8, 120, { resyncId: 2 }]);
    peer.send([Op.SNAPSHOT_CHUNK, 2, [['b', b('2'), 1, 0, 0]]]);
    await peer.next(Op.SNAPSHOT_ACK);
    peer.send([Op.SNAPSHOT_END, 2, 1]);
    peer.send([Op.WRITE, 8, 121, [], 1]);
    expect(await peer.next(Op.WRITE_ACK)).toEqual([Op.WRITE_ACK, 121, []]);
    expect(store.scan('', null, 10, 1)).toEqual(['b']);
    expect(store.position()).toEqual({ epoch: 8, seq: 121 });
    expect(peer.closed).toBe(false);
  });

  describe('a full resync that would move the replica backwards is refused, and the store kept', () => {
    /** A store holding writes up to (5, 200). */
    const holding = (): MemoryStore => {
      const store = new MemoryStore();
      store.apply([{ epoch: 5, seq: 200, time: 1, ops: [set('mine', 'acked'), set('other', 'x')] }]);
      return store;
    };

    it.each([
      ['a snapshot at a lower seq in a newer epoch', 6, 150],
      ['a snapshot at a lower seq in the same epoch', 5, 199],
      ['an empty source at (0,0)', 0, 0],
      ['the same seq in another epoch (another history)', 6, 200],
    ])('%s', async (_what, epoch, seq) => {
      const store = holding();
      const lines: string[] = [];
      const logger = linesLogger(lines);
      const reset = jest.spyOn(store, 'reset');
      const r = link.startReplica(store, { logger });
      const peer = await link.router.peer(0);
      const disconnected = new Promise((resolve) => r.once('disconnected', resolve));
      peer.sendTogether([
        [Op.SYNC_START, 'full', epoch, seq, { resyncId: 3 }],
        [Op.SNAPSHOT_CHUNK, 3, [['theirs', b('1'), 1, 0, 0]]],
        [Op.SNAPSHOT_END, 3, 1],
      ]);
      const abort = await peer.next(Op.SNAPSHOT_ABORT);
      expect(abort[1]).toBe(3);
      expect(String(abort[2])).toMatch(/refused.*epoch 5, seq 200/);
      const err = await peer.next(Op.ERROR);
      expect(err.slice(0, 3)).toEqual([Op.ERROR, 0, 'REPLICA_ERROR']);
      expect(String(err[3])).toMatch(new RegExp(`epoch ${epoch}, seq ${seq}.*epoch 5, seq 200`));
      expect(err[4]).toEqual({
        refused: 'resync-would-discard-writes',
        resyncId: 3,
        replica: { epoch: 5, seq: 200 },
        snapshot: { epoch, seq },
      });
      await peer.waitClosed();
      await disconnected;
      expect(peer.messages.filter((m) => m[0] === Op.SNAPSHOT_ACK)).toHaveLength(0);
      // Nothing wiped, nothing loaded: data and position as before.
      expect(reset).not.toHaveBeenCalled();
      expect(store.position()).toEqual({ epoch: 5, seq: 200 });
      expect(store.scan('', null, 10, 1)).toEqual(['mine', 'other']);
      expect(lines.some((l) => /^error refusing full resync 3: .*epoch 5, seq 200/.test(l))).toBe(true);
      // It comes back with the same position.
      const again = await link.router.peer(1);
      expect(again.hello).toEqual({ name: 'r1', epoch: 5, seq: 200, reset: false, time: expect.any(Number), nextExpiry: 0 });
    });

    test('a snapshot at the same position, or ahead, is loaded as before', async () => {
      const store = holding();
      link.startReplica(store);
      const peer = await link.router.peer(0);
      peer.send([Op.SYNC_START, 'full', 5, 200, { resyncId: 4 }]);
      peer.send([Op.SNAPSHOT_CHUNK, 4, [['mine', b('acked'), 1, 0, 0], ['other', b('x'), 1, 0, 0]]]);
      await peer.next(Op.SNAPSHOT_ACK);
      peer.send([Op.SNAPSHOT_END, 4, 2]);
      peer.send([Op.WRITE, 5, 201, [], 1]);
      expect(await peer.next(Op.WRITE_ACK)).toEqual([Op.WRITE_ACK, 201, []]);
      expect(store.position()).toEqual({ epoch: 5, seq: 201 });
      expect(peer.closed).toBe(false);
    });

    test('a resync that replaces an accepted one may not go below what the store held before it', async () => {
      const store = holding();
      link.startReplica(store);
      const peer = await link.router.peer(0);
      peer.send([Op.SYNC_START, 'full', 6, 300, { resyncId: 5 }]);
      peer.send([Op.SNAPSHOT_CHUNK, 5, [['a', b('1'), 1, 0, 0]]]);
      await peer.next(Op.SNAPSHOT_ACK);
      // The store is now a partial snapshot at (0,0); a replacement must still be at seq 200 or later.
      peer.send([Op.SYNC_START, 'full', 6, 150, { resyncId: 6 }]);
      const abort = await peer.next(Op.SNAPSHOT_ABORT);
      expect(abort[1]).toBe(6);
      expect((await peer.next(Op.ERROR))[4]).toMatchObject({ replica: { epoch: 5, seq: 200 }, snapshot: { epoch: 6, seq: 150 } });
      await peer.waitClosed();
    });

    test('over a SQLite store, the file keeps its data and position', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvndb-replica-'));
      try {
        const file = path.join(dir, 'r.db');
        const store = new SqliteStore(file);
        store.apply([{ epoch: 5, seq: 200, time: 1, ops: [set('mine', 'acked')] }]);
        const r = link.startReplica(store);
        const peer = await link.router.peer(0);
        peer.send([Op.SYNC_START, 'full', 6, 0, { resyncId: 1 }]);
        await peer.next(Op.SNAPSHOT_ABORT);
        await peer.waitClosed();
        await link.router.peer(1);
        await r.stop();
        link.replica = null;
        const reopened = new SqliteStore(file);
        try {
          expect(reopened.position()).toEqual({ epoch: 5, seq: 200 });
          expect(reopened.get('mine', 1)).toEqual(b('acked'));
        } finally {
          reopened.close();
        }
      } finally {
        await link.replica?.stop();
        link.replica = null;
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  test('wouldDiscardWrites: only a lower seq, or the same seq in another epoch, of a store holding writes', () => {
    expect(wouldDiscardWrites({ epoch: 0, seq: 0 }, 0, 0)).toBe(false);
    expect(wouldDiscardWrites({ epoch: 5, seq: 10 }, 5, 10)).toBe(false);
    expect(wouldDiscardWrites({ epoch: 5, seq: 10 }, 6, 11)).toBe(false);
    expect(wouldDiscardWrites({ epoch: 5, seq: 10 }, 5, 9)).toBe(true);
    expect(wouldDiscardWrites({ epoch: 5, seq: 10 }, 9, 9)).toBe(true);
    expect(wouldDiscardWrites({ epoch: 5, seq: 10 }, 6, 10)).toBe(true);
    expect(wouldDiscardWrites({ epoch: 5, seq: 10 }, 0, 0)).toBe(true);
  });
});
