import { WriteBacklog } from './write-backlog';

const frame = (n: number, size = 10) => Buffer.alloc(size, n % 256);

describe('WriteBacklog', () => {
  test('holds appended frames and finds them by seq', () => {
    const b = new WriteBacklog(1000);
    b.reset(100);
    expect(b.firstSeq).toBe(101);
    expect(b.lastSeq).toBe(100);
    for (let s = 101; s <= 110; s++) b.append(s, frame(s));
    expect(b.size).toBe(10);
    expect(b.bytes).toBe(100);
    expect(b.has(100)).toBe(false);
    expect(b.has(101)).toBe(true);
    expect(b.has(110)).toBe(true);
    expect(b.has(111)).toBe(false);
    expect(b.get(105)?.[0]).toBe(105);
    expect(b.get(111)).toBeUndefined();
  });

  test('evicts the oldest frames to stay within its byte bound', () => {
    const b = new WriteBacklog(55);
    b.reset(0);
    for (let s = 1; s <= 20; s++) b.append(s, frame(s));
    expect(b.bytes).toBeLessThanOrEqual(55);
    expect(b.size).toBe(5);
    expect(b.firstSeq).toBe(16);
    expect(b.lastSeq).toBe(20);
    expect(b.has(15)).toBe(false);
    expect(b.get(16)?.[0]).toBe(16);
  });

  test('keeps the newest frame even when it alone is over the bound', () => {
    const b = new WriteBacklog(5);
    b.reset(0);
    b.append(1, frame(1));
    b.append(2, frame(2));
    expect(b.size).toBe(1);
    expect(b.get(2)?.[0]).toBe(2);
  });

  test('canCatchUp and forEachAfter replay exactly the missing writes in order', () => {
    const b = new WriteBacklog(1000);
    b.reset(0);
    for (let s = 1; s <= 10; s++) b.append(s, frame(s));
    expect(b.canCatchUp(10)).toBe(true); // nothing to send
    expect(b.canCatchUp(0)).toBe(true);
    const got: number[] = [];
    expect(b.forEachAfter(6, (f) => got.push(f[0]))).toBe(4);
    expect(got).toEqual([7, 8, 9, 10]);

    const small = new WriteBacklog(30);
    small.reset(0);
    for (let s = 1; s <= 10; s++) small.append(s, frame(s));
    expect(small.canCatchUp(6)).toBe(false); // 7 was evicted
    expect(small.canCatchUp(7)).toBe(true);
    expect(small.canCatchUp(10)).toBe(true);
  });

  test('grows its ring past the initial capacity without losing order', () => {
    const b = new WriteBacklog(1e9);
    b.reset(0);
    for (let s = 1; s <= 5000; s++) b.append(s, frame(s, 1));
    const got: number[] = [];
    b.forEachAfter(4990, (f) => got.push(f[0]));
    expect(got).toEqual([4991, 4992, 4993, 4994, 4995, 4996, 4997, 4998, 4999, 5000].map((n) => n % 256));
    expect(b.get(1)?.[0]).toBe(1);
  });

  test('refuses out-of-order appends', () => {
    const b = new WriteBacklog(100);
    b.reset(5);
    expect(() => b.append(7, frame(7))).toThrow(/out of order/);
    b.append(6, frame(6));
    expect(() => b.append(6, frame(6))).toThrow(/out of order/);
  });
});

describe('WriteBacklog slabs', () => {
  test('frames come back byte for byte across slab boundaries, with oversized frames in slabs of their own', () => {
    const b = new WriteBacklog(3 * 1024 * 1024);
    b.reset(0);
    const sizes: number[] = [];
    let seq = 0;
    // ~70k-byte frames fill 64 KiB..1 MiB slabs unevenly; every 7th is bigger than a slab.
    for (let i = 0; i < 60; i++) {
      const size = i % 7 === 6 ? 1_200_000 : 70_000 + i;
      sizes.push(size);
      b.append(++seq, Buffer.alloc(size, seq % 256));
    }
    for (let s = b.firstSeq; s <= b.lastSeq; s++) {
      const f = b.get(s) as Buffer;
      expect(f.length).toBe(sizes[s - 1]);
      expect(f[0]).toBe(s % 256);
      expect(f[f.length - 1]).toBe(s % 256);
    }
    expect(b.bytes).toBeLessThanOrEqual(3 * 1024 * 1024);
    const slabs = (b as unknown as { slabs: Buffer[] }).slabs;
    const held = slabs.reduce((n, s) => n + s.length, 0);
    // Slabs held are the frames' bytes plus at most one partly filled slab at each end.
    expect(held).toBeLessThanOrEqual(b.bytes + 2 * 1_200_000);
  });

  test('memory held stays near the bound over a long run of small frames', () => {
    const b = new WriteBacklog(256 * 1024);
    b.reset(0);
    for (let s = 1; s <= 200_000; s++) b.append(s, frame(s, 130));
    expect(b.bytes).toBeLessThanOrEqual(256 * 1024);
    expect(b.get(b.lastSeq)?.[0]).toBe(200_000 % 256);
    expect(b.get(b.firstSeq)?.[0]).toBe(b.firstSeq % 256);
    const slabs = (b as unknown as { slabs: Buffer[] }).slabs;
    expect(slabs.length * 64 * 1024).toBeLessThanOrEqual(256 * 1024 + 2 * 64 * 1024);
    const got: number[] = [];
    b.forEachAfter(b.lastSeq - 4, (f) => got.push(f[0]));
    expect(got).toEqual([199_997, 199_998, 199_999, 200_000].map((n) => n % 256));
  });

  test('a frame appended after a reset starts a fresh slab and old views stay intact', () => {
    const b = new WriteBacklog(1000);
    b.reset(0);
    b.append(1, frame(1));
    const view = b.get(1) as Buffer;
    b.reset(10);
    b.append(11, frame(99));
    expect(view[0]).toBe(1);
    expect(b.get(11)?.[0]).toBe(99);
    expect(b.has(1)).toBe(false);
  });

  test('a note lives and goes with its frame: kept through growth, gone with eviction and reset', () => {
    const b = new WriteBacklog(100 * 200);
    b.reset(0);
    for (let s = 1; s <= 3000; s++) {
      b.append(s, frame(s, 100));
      if (s % 2 === 0) b.note(s, { seq: s });
    }
    // Ring growth (past 1024 entries) kept the notes of the frames still held.
    expect(b.noteOf(b.lastSeq)).toEqual({ seq: 3000 });
    expect(b.noteOf(b.lastSeq - 1)).toBeUndefined();
    expect(b.noteOf(b.firstSeq - 1)).toBeUndefined();
    // A note for a write no longer (or not yet) held is dropped.
    b.note(1, 'gone');
    b.note(b.lastSeq + 1, 'ahead');
    expect(b.noteOf(1)).toBeUndefined();
    // A reused ring slot starts without the note of the frame it held before.
    const small = new WriteBacklog(300);
    small.reset(0);
    for (let s = 1; s <= 2000; s++) {
      small.append(s, frame(s, 100));
      expect(small.noteOf(s)).toBeUndefined();
      small.note(s, s);
    }
    b.reset(5000);
    b.append(5001, frame(1, 100));
    expect(b.noteOf(5001)).toBeUndefined();
  });
});
