/** A replica as the source of full resyncs: streaming with credits, aborts, several at once. */
import { Op } from '@kvndb/shared';
import { MemoryStore } from '../store/memory-store';
import { b, set, useReplicaLink } from '../testing/fake-router';

describe('Replica as snapshot source', () => {
  const link = useReplicaLink();

  test('streams a consistent snapshot as source with credit flow control while serving writes and reads', async () => {
    const store = new MemoryStore();
    const N = 5000;
    store.apply([{ epoch: 2, seq: 10, time: 1, ops: Array.from({ length: N }, (_, i) => set(`k${String(i).padStart(5, '0')}`, `v${i}`)) }]);
    link.startReplica(store);
    const peer = await link.router.peer(0);
    peer.send([Op.SNAPSHOT_REQUEST, 77, 2, 10, 1]);
    const got = new Map<string, string>();
    const first = await peer.next(Op.SNAPSHOT_CHUNK);
    expect(first[1]).toBe(77);
    for (const [k, v] of first[2] as Array<[string, Buffer]>) got.set(k, v.toString());
    // Window 1: nothing more until a credit arrives, but writes and reads are served meanwhile.
    peer.send([Op.WRITE, 2, 11, [set('k00000', 'changed'), set('k04999', 'changed'), ['d', 'k03000'], set('new', 'n')], 1]);
    expect(await peer.next(Op.WRITE_ACK)).toEqual([Op.WRITE_ACK, 11, [true, true, true, true]]);
    expect(await peer.request(Op.GET, 'k04999')).toEqual([Op.RESULT, expect.any(Number), b('changed')]);
    await new Promise((r) => setTimeout(r, 50));
    expect(peer.messages.filter((m) => m[0] === Op.SNAPSHOT_CHUNK)).toHaveLength(0);
    let chunks = 1;
    let end: unknown[] | null = null;
    while (!end) {
      peer.send([Op.SNAPSHOT_CREDIT, 77, 1]);
      const msg = await peer.nextMatching((m) => m[0] === Op.SNAPSHOT_CHUNK || m[0] === Op.SNAPSHOT_END);
      if (msg[0] === Op.SNAPSHOT_END) end = msg;
      else {
        chunks++;
        for (const [k, v] of msg[2] as Array<[string, Buffer]>) got.set(k, v.toString());
      }
    }
    expect(end).toEqual([Op.SNAPSHOT_END, 77, N]);
    expect(chunks).toBeGreaterThanOrEqual(3);
    expect(got.size).toBe(N);
    expect(got.get('k00000')).toBe('v0');
    expect(got.get('k04999')).toBe('v4999');
    expect(got.get('k03000')).toBe('v3000');
    expect(got.has('new')).toBe(false);
    // Late credits for a finished stream are harmless.
    peer.send([Op.SNAPSHOT_CREDIT, 77, 1]);
    expect(await peer.request(Op.HAS, 'new')).toEqual([Op.RESULT, expect.any(Number), true]);
  });

  test('a snapshot request is taken after every earlier write, and can be aborted', async () => {
    const store = new MemoryStore();
    store.apply([{ epoch: 2, seq: 1, time: 1, ops: Array.from({ length: 4500 }, (_, i) => set(`k${i}`, 'v')) }]);
    link.startReplica(store);
    const peer = await link.router.peer(0);
    // WRITE 2 and the request for a snapshot at 2 in one chunk: the snapshot must include WRITE 2.
    peer.sendTogether([
      [Op.WRITE, 2, 2, [set('during', 'yes')], 1],
      [Op.SNAPSHOT_REQUEST, 5, 2, 2, 1],
      [Op.SNAPSHOT_REQUEST, 6, 2, 1, 4], // wrong position: refused
    ]);
    const refused = await peer.next(Op.SNAPSHOT_ABORT);
    expect(refused[1]).toBe(6);
    const chunk = await peer.next(Op.SNAPSHOT_CHUNK);
    expect(chunk[1]).toBe(5);
    peer.send([Op.SNAPSHOT_ABORT, 5, 'joiner went away']);
    peer.send([Op.SNAPSHOT_CREDIT, 5, 10]);
    await new Promise((r) => setTimeout(r, 50));
    expect(peer.messages.filter((m) => m[0] === Op.SNAPSHOT_CHUNK || m[0] === Op.SNAPSHOT_END)).toHaveLength(0);
    // A fresh request streams everything, including the write before it.
    peer.send([Op.SNAPSHOT_REQUEST, 7, 2, 2, 100]);
    const keys = new Set<string>();
    for (;;) {
      const msg = await peer.nextMatching((m) => m[1] === 7 && (m[0] === Op.SNAPSHOT_CHUNK || m[0] === Op.SNAPSHOT_END));
      if (msg[0] === Op.SNAPSHOT_END) {
        expect(msg[2]).toBe(4501);
        break;
      }
      for (const [k] of msg[2] as Array<[string, Buffer]>) keys.add(k);
    }
    expect(keys.size).toBe(4501);
    expect(keys.has('during')).toBe(true);
  });

  test('several snapshots can stream at once', async () => {
    const store = new MemoryStore();
    store.apply([{ epoch: 2, seq: 1, time: 1, ops: Array.from({ length: 4100 }, (_, i) => set(`k${i}`, 'v')) }]);
    link.startReplica(store);
    const peer = await link.router.peer(0);
    peer.send([Op.SNAPSHOT_REQUEST, 1, 2, 1, 100]);
    peer.send([Op.SNAPSHOT_REQUEST, 2, 2, 1, 100]);
    const ends = await Promise.all([
      peer.nextMatching((m) => m[0] === Op.SNAPSHOT_END && m[1] === 1),
      peer.nextMatching((m) => m[0] === Op.SNAPSHOT_END && m[1] === 2),
    ]);
    expect(ends).toEqual([
      [Op.SNAPSHOT_END, 1, 4100],
      [Op.SNAPSHOT_END, 2, 4100],
    ]);
    const chunks = peer.messages.filter((m) => m[0] === Op.SNAPSHOT_CHUNK);
    for (const id of [1, 2]) {
      const mine = chunks.filter((m) => m[1] === id);
      expect(mine.reduce((n, m) => n + (m[2] as unknown[]).length, 0)).toBe(4100);
    }
  });
});
