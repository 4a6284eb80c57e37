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
