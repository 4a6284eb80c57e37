import { MemoryStore, keyAtIndex } from './memory-store';
import BTree from 'sorted-btree';
import { compareKeys } from '@kvndb/shared';
import { storeContractSuite } from './store-contract.test-suite';

storeContractSuite('MemoryStore', () => new MemoryStore());

describe('MemoryStore copy-on-write snapshot', () => {
  test('memory held by a snapshot is proportional to writes during it, not to the data', () => {
    const store = new MemoryStore();
    store.load(Array.from({ length: 10000 }, (_, i) => [`k${i}`, Buffer.alloc(10), 1, 0, 0] as [string, Buffer, number, number, number]));
    const snap = store.snapshot();
    // Only writes to keys the snapshot has not reached yet save an old value.
    const overlay = (snap as unknown as { overlay: Map<string, unknown> }).overlay;
    expect(overlay.size).toBe(0);
    store.apply([{ epoch: 1, seq: 1, time: 1, ops: [['s', 'k5', Buffer.from('x')], ['d', 'k6'], ['s', 'new', Buffer.from('y')]] }]);
    expect(overlay.size).toBe(3);
    snap.close();
    expect(overlay.size).toBe(0);
    store.apply([{ epoch: 1, seq: 2, time: 1, ops: [['s', 'k7', Buffer.from('x')]] }]);
    expect(overlay.size).toBe(0);
    store.close();
  });
});

describe('MemoryStore value storage', () => {
  // Small values are kept as one-byte strings, big ones as Buffers: both must give back
  // exactly the bytes stored, whatever they are, through every way a value leaves the store.
  const sizes = [0, 1, 255, 256, 4095, 4096, 70000];
  const valueOf = (n: number, salt: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + salt) & 0xff));

  test('every byte value and size class round-trips through get, SET with GET, snapshots and getStored', () => {
    const store = new MemoryStore();
    const values = sizes.map((n, i) => valueOf(n, i));
    // Stored from views into a larger chunk, as decoded frames are; the chunk is reused after.
    const chunk = Buffer.concat(values);
    let at = 0;
    store.apply([{ epoch: 1, seq: 1, time: 1, ops: values.map((v, i) => { const view = chunk.subarray(at, at + v.length); at += v.length; return ['s', `k${i}`, view]; }) }]);
    chunk.fill(0);
    values.forEach((v, i) => {
      expect(store.get(`k${i}`, 1)?.equals(v)).toBe(true);
      const raw = store.getStored(`k${i}`, 1);
      expect(Buffer.isBuffer(raw) ? raw.equals(v) : Buffer.from(raw as string, 'latin1').equals(v)).toBe(true);
    });
    const snap = store.snapshot();
    // Changed after the snapshot: the snapshot still yields the old bytes.
    const results = store.apply([{ epoch: 1, seq: 2, time: 1, ops: [['s', 'k2', Buffer.from('new'), { get: true }]] }]);
    const [applied, previous] = results[0][0] as [boolean, Buffer];
    expect(applied).toBe(true);
    expect(previous.equals(values[2])).toBe(true);
    const got = new Map<string, Buffer>();
    for (let page = snap.next(3, 1 << 20); page; page = snap.next(3, 1 << 20)) for (const [k, v] of page) got.set(k, v as Buffer);
    values.forEach((v, i) => expect(got.get(`k${i}`)?.equals(v)).toBe(true));
    expect(store.get('k2', 1)?.toString()).toBe('new');
    store.close();
  });
});

describe('keyAtIndex (RANDOMKEY in O(log n))', () => {
  test('gives the key at each index in key order, across tree sizes and after deletes', () => {
    const tree = new BTree<string, undefined>(undefined, compareKeys);
    expect(keyAtIndex(tree, 0)).toBeUndefined();
    for (let i = 0; i < 5000; i++) tree.set(`k${(i * 7919) % 5000}`, undefined);
    for (let i = 0; i < 5000; i += 3) tree.delete(`k${i}`);
    const inOrder = tree.keysArray();
    expect(inOrder.map((_, i) => keyAtIndex(tree, i))).toEqual(inOrder);
    expect(keyAtIndex(tree, inOrder.length)).toBeUndefined();
    expect(keyAtIndex(tree, -1)).toBeUndefined();
  });
});
