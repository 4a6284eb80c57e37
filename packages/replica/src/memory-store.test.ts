import { MemoryStore } from './memory-store';
import { storeContractSuite } from './store-contract.test-suite';

storeContractSuite('MemoryStore', () => new MemoryStore());

describe('MemoryStore copy-on-write snapshot', () => {
  test('memory held by a snapshot is proportional to writes during it, not to the data', () => {
    const store = new MemoryStore();
    store.load(Array.from({ length: 10000 }, (_, i) => [`k${i}`, Buffer.alloc(10)] as [string, Buffer]));
    const snap = store.snapshot();
    // Only writes to keys the snapshot has not reached yet save an old value.
    const overlay = (snap as unknown as { overlay: Map<string, unknown> }).overlay;
    expect(overlay.size).toBe(0);
    store.apply([{ epoch: 1, seq: 1, ops: [['s', 'k5', Buffer.from('x')], ['d', 'k6'], ['s', 'new', Buffer.from('y')]] }]);
    expect(overlay.size).toBe(3);
    snap.close();
    expect(overlay.size).toBe(0);
    store.apply([{ epoch: 1, seq: 2, ops: [['s', 'k7', Buffer.from('x')]] }]);
    expect(overlay.size).toBe(0);
    store.close();
  });
});
