/** Reads on a replica: answers from the store, order after writes, pacing, store failures. */
import { Op } from '@kvndb/shared';
import { MemoryStore } from '../store/memory-store';
import { b, set, useReplicaLink } from '../testing/fake-router';

describe('Replica session: reads', () => {
  const link = useReplicaLink();

  test('reads wait while their answers pile up unread; a write behind them is applied and acknowledged at once', async () => {
    const store = new MemoryStore();
    const big = Buffer.alloc(1024 * 1024, 7);
    store.apply([{ epoch: 1, seq: 1, time: 1, ops: [['s', 'big', big]] }]);
    link.replica = link.startReplica(store);
    const peer = await link.router.peer(0);
    peer.send([Op.SYNC_START, 'incremental', 1, 1, {}]);
    peer.send([Op.SYNC_DONE, 1, 1]);
    await new Promise<void>((resolve) => link.replica!.once('in-sync', resolve));
    peer.conn.pause(); // the router side stops reading: answers pile up in the replica
    peer.sendTogether([
      ...Array.from({ length: 100 }, (_, i) => [Op.GET, i + 1, 'big']),
      [Op.WRITE, 1, 2, [set('k', 'v')], 1],
    ]);
    await new Promise((r) => setTimeout(r, 300));
    // The write did not wait for 100 MiB of answers.
    expect(store.get('k', 1)).toEqual(b('v'));
    peer.conn.resume();
    const ack = await peer.next(Op.WRITE_ACK);
    expect(ack).toEqual([Op.WRITE_ACK, 2, [true]]);
    const answersBeforeAck = peer.messages.filter((m) => m[0] === Op.RESULT).length;
    expect(answersBeforeAck).toBeLessThan(50);
    // Every read is still answered, in order, each with the value.
    const ids: unknown[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await peer.next(Op.RESULT, 10000);
      expect(Buffer.compare(r[2] as Buffer, big)).toBe(0);
      ids.push(r[1]);
    }
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  test('answers reads, and a read sees every write that arrived before it', async () => {
    const store = new MemoryStore();
    link.startReplica(store);
    const peer = await link.router.peer(0);
    // WRITE then reads in one socket chunk: the read must see the write.
    peer.sendTogether([
      [Op.WRITE, 1, 1, [set('user:1', 'alice'), set('user:2', 'bob'), set('user:3', 'carol'), set('x', 'y')], 1],
      [Op.GET, 100, 'user:1'],
      [Op.HAS, 101, 'user:2'],
      [Op.MGET, 102, ['user:3', 'none']],
    ]);
    expect(await peer.nextMatching((m) => m[1] === 100)).toEqual([Op.RESULT, 100, b('alice')]);
    expect(await peer.nextMatching((m) => m[1] === 101)).toEqual([Op.RESULT, 101, true]);
    expect(await peer.nextMatching((m) => m[1] === 102)).toEqual([Op.RESULT, 102, [b('carol'), null]]);
    expect(await peer.request(Op.GET, 'none')).toEqual([Op.RESULT, expect.any(Number), null]);
    expect(await peer.request(Op.KEYS, 'user:', 2, null)).toEqual([Op.RESULT, expect.any(Number), [['user:1', 'user:2'], 'user:2']]);
    expect(await peer.request(Op.KEYS, 'user:', 2, 'user:2')).toEqual([Op.RESULT, expect.any(Number), [['user:3'], null]]);
    expect(await peer.request(Op.KEYS, '', null, null)).toEqual([Op.RESULT, expect.any(Number), [['user:1', 'user:2', 'user:3', 'x'], null]]);
    expect(await peer.request(Op.PING)).toEqual([Op.RESULT, expect.any(Number), 'PONG']);
    const bad = await peer.request(Op.GET, 42);
    expect(bad.slice(0, 3)).toEqual([Op.ERROR, expect.any(Number), 'BAD_REQUEST']);
    const badLimit = await peer.request(Op.KEYS, '', 0, null);
    expect(badLimit[2]).toBe('BAD_REQUEST');
    // Still connected after bad requests.
    expect(await peer.request(Op.HAS, 'x')).toEqual([Op.RESULT, expect.any(Number), true]);
  });

  test('store failures on reads are reported as REPLICA_ERROR', async () => {
    const store = new MemoryStore();
    const fail = () => {
      throw new Error('disk on fire');
    };
    jest.spyOn(store, 'get').mockImplementation(fail);
    jest.spyOn(store, 'getStored').mockImplementation(fail);
    link.startReplica(store);
    const peer = await link.router.peer(0);
    const reply = await peer.request(Op.GET, 'k');
    expect(reply.slice(0, 4)).toEqual([Op.ERROR, expect.any(Number), 'REPLICA_ERROR', 'disk on fire']);
  });
});
