/** The write stream on a replica: group commit, WRITE_ACK(S) runs, gaps and malformed writes. */
import { Op } from '@kvndb/shared';
import { MemoryStore } from '../store/memory-store';
import { b, set, useReplicaLink } from '../testing/fake-router';

describe('Replica session: writes', () => {
  const link = useReplicaLink();

  test('a big group is acknowledged in WRITE_ACKS frames of at most 64 writes, every write once and in order', async () => {
    link.startReplica(new MemoryStore());
    const peer = await link.router.peer(0);
    peer.sendTogether(Array.from({ length: 150 }, (_, i) => [Op.WRITE, 1, i + 1, [set(`k${i}`, `v${i}`)], 1]));
    let next = 1;
    while (next <= 150) {
      const m = await peer.nextMatching((x) => x[0] === Op.WRITE_ACK || x[0] === Op.WRITE_ACKS);
      if (m[0] === Op.WRITE_ACK) {
        expect(m).toEqual([Op.WRITE_ACK, next, [true]]);
        next++;
        continue;
      }
      const [, first, list] = m as [number, number, unknown[]];
      expect(first).toBe(next);
      expect(list.length).toBeGreaterThan(1);
      expect(list.length).toBeLessThanOrEqual(64);
      for (const results of list) expect(results).toEqual([true]);
      next += list.length;
    }
    expect(next).toBe(151);
  });

  test('in a group, a write whose result carries an old value (SET with GET) is acknowledged alone', async () => {
    link.startReplica(new MemoryStore());
    const peer = await link.router.peer(0);
    peer.sendTogether([
      [Op.WRITE, 1, 1, [set('k', 'v1')], 1],
      [Op.WRITE, 1, 2, [['s', 'k', b('v2'), { get: true }]], 1],
      [Op.WRITE, 1, 3, [set('x', '1')], 1],
      [Op.WRITE, 1, 4, [set('y', '1')], 1],
      [Op.WRITE, 1, 5, [['d', 'nothing']], 1],
    ]);
    const acks: unknown[][] = [];
    while (acks.reduce((n, m) => n + (m[0] === Op.WRITE_ACKS ? (m[2] as unknown[]).length : 1), 0) < 5) {
      acks.push(await peer.nextMatching((m) => m[0] === Op.WRITE_ACK || m[0] === Op.WRITE_ACKS));
    }
    // The old value could be as big as the value limit: never batched with others into one frame.
    expect(acks).toEqual([
      [Op.WRITE_ACK, 1, [true]],
      [Op.WRITE_ACK, 2, [[true, b('v1')]]],
      [Op.WRITE_ACKS, 3, [[true], [true], [false]]],
    ]);
  });

  test('group-commits the WRITEs of one socket chunk in one store.apply call', async () => {
    const store = new MemoryStore();
    const apply = jest.spyOn(store, 'apply');
    link.startReplica(store);
    const peer = await link.router.peer(0);
    peer.sendTogether(Array.from({ length: 5 }, (_, i) => [Op.WRITE, 1, i + 1, [set(`k${i}`, `v${i}`)], 1]));
    // One frame acknowledges the group: [WRITE_ACKS, first seq, results of each write].
    expect(await peer.next(Op.WRITE_ACKS)).toEqual([Op.WRITE_ACKS, 1, [[true], [true], [true], [true], [true]]]);
    expect(apply).toHaveBeenCalledTimes(1);
    expect(apply.mock.calls[0][0].map((w) => w.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(store.position()).toEqual({ epoch: 1, seq: 5 });
    // A later chunk is a new group.
    peer.send([Op.WRITE, 1, 6, [], 1]);
    expect(await peer.next(Op.WRITE_ACK)).toEqual([Op.WRITE_ACK, 6, []]);
    expect(apply).toHaveBeenCalledTimes(2);
  });

  test('detects a gap in the write stream, disconnects and rejoins with its position', async () => {
    const store = new MemoryStore();
    const r = link.startReplica(store);
    const peer = await link.router.peer(0);
    peer.send([Op.WRITE, 1, 1, [set('a', '1')], 1]);
    await peer.next(Op.WRITE_ACK);
    const disconnected = new Promise((resolve) => r.once('disconnected', resolve));
    peer.send([Op.WRITE, 1, 3, [set('b', '2')], 1]);
    const err = await peer.next(Op.ERROR);
    expect(err[2]).toBe('PROTOCOL_ERROR');
    expect(String(err[3])).toMatch(/expected seq 2, got 3/);
    await peer.waitClosed();
    await disconnected;
    expect(store.has('b', 1)).toBe(false);
    const again = await link.router.peer(1);
    expect(again.hello).toEqual({ name: 'r1', epoch: 1, seq: 1, reset: false, time: expect.any(Number), nextExpiry: 0 });
  });

  test('a malformed op in a WRITE is not half-applied; the replica disconnects', async () => {
    const store = new MemoryStore();
    link.startReplica(store);
    const peer = await link.router.peer(0);
    peer.send([Op.WRITE, 1, 1, [set('a', '1'), ['s', 'b', 'not bytes']], 1]);
    const err = await peer.next(Op.ERROR);
    expect(err[2]).toBe('REPLICA_ERROR');
    await peer.waitClosed();
    expect(store.has('a', 1)).toBe(false);
    const again = await link.router.peer(1);
    expect(again.hello).toMatchObject({ seq: 0 });
  });

  test('a transaction whose reads together outgrow a frame is applied, and its reads answered TOO_LARGE', async () => {
    const store = new MemoryStore();
    link.startReplica(store);
    const peer = await link.router.peer(0);
    const big = Buffer.alloc(40 << 20, 7);
    peer.send([Op.WRITE, 1, 1, [['s', 'a', big]], 1]);
    peer.send([Op.WRITE, 1, 2, [['s', 'b', big]], 1]);
    await peer.next(Op.WRITE_ACK);
    await peer.next(Op.WRITE_ACK);
    peer.send([Op.WRITE, 1, 3, [['t', [], [['G', 'a'], ['G', 'b'], ['i', 'n', '5']], []]], 2]);
    const ack = await peer.next(Op.WRITE_ACK, 20000);
    const tooLarge = { error: 'TOO_LARGE', message: expect.stringMatching(/applied.*larger than a frame/) };
    expect(ack).toEqual([Op.WRITE_ACK, 3, [[true, [tooLarge, tooLarge, 5]]]]);
    expect(store.get('n', 2)).toEqual(b('5'));
    // The connection goes on.
    peer.send([Op.WRITE, 1, 4, [set('c', '1')], 3]);
    expect(await peer.next(Op.WRITE_ACK)).toEqual([Op.WRITE_ACK, 4, [true]]);
  });
});
