import { ValueCache } from './value-cache';

describe('ValueCache', () => {
  test('holds values and absences with their expiry, and drops a key on delete', () => {
    const c = new ValueCache(1 << 20);
    c.set('a', Buffer.from('1'), 0);
    c.set('gone', null, 0);
    c.set('t', Buffer.from('x'), 500);
    expect(c.get('a')).toEqual({ value: Buffer.from('1'), expires: 0 });
    expect(c.get('gone')).toEqual({ value: null, expires: 0 });
    expect(c.get('t')?.expires).toBe(500);
    c.delete('a');
    expect(c.get('a')).toBeUndefined();
    expect(c.size).toBe(2);
  });

  test('stays within its bound, evicting the oldest filled first, and counts replaced entries once', () => {
    const c = new ValueCache(10 * (64 + 8 + 100));
    for (let i = 0; i < 1000; i++) c.set(`k${String(i).padStart(3, '0')}`, Buffer.alloc(100), 0);
    expect(c.usedBytes).toBeLessThanOrEqual(c.maxBytes);
    expect(c.size).toBe(10);
    expect(c.get('k999')).toBeDefined();
    const d = new ValueCache(3 * (64 + 4 + 100));
    for (const k of ['k1', 'k2', 'k3', 'k4']) d.set(k, Buffer.alloc(100), 0);
    expect(d.get('k1')).toBeUndefined();
    expect(d.get('k4')).toBeDefined();
    d.set('k4', Buffer.alloc(100), 0);
    expect(d.usedBytes).toBe(3 * (64 + 4 + 100));
    expect(d.size).toBe(3);
  });

  test('a value larger than the whole bound is not cached; clear empties it', () => {
    const c = new ValueCache(1000);
    c.set('big', Buffer.alloc(2000), 0);
    expect(c.get('big')).toBeUndefined();
    c.set('s', Buffer.alloc(10), 0);
    c.clear();
    expect(c.size).toBe(0);
    expect(c.usedBytes).toBe(0);
  });
});
