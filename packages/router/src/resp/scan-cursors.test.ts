import { ScanCursors } from './scan-cursors';

describe('ScanCursors', () => {
  let now = 1_700_000_000_000;
  const clock = (): number => now;

  test('0 starts; an issued cursor resumes after its key, on any caller; numbers are never reused', () => {
    const c = new ScanCursors({ now: clock });
    expect(c.lookup('0')).toEqual({ ok: true, after: null });
    const a = c.issue('k1');
    const b = c.issue('k1');
    expect(a).toMatch(/^[1-9][0-9]*$/);
    expect(b).not.toBe(a);
    expect(Number(b)).toBeGreaterThan(Number(a));
    expect(c.lookup(a)).toEqual({ ok: true, after: 'k1' });
    expect(c.lookup(b)).toEqual({ ok: true, after: 'k1' });
    const seen = new Set<string>([a, b]);
    for (let i = 0; i < 1000; i++) seen.add(c.issue(`k${i}`));
    expect(seen.size).toBe(1002);
  });

  test('a used cursor can be sent again (a retried SCAN gets the same page)', () => {
    const c = new ScanCursors({ now: clock });
    const a = c.issue('x');
    expect(c.lookup(a)).toEqual({ ok: true, after: 'x' });
    expect(c.lookup(a)).toEqual({ ok: true, after: 'x' });
  });

  test('garbage, negative, too large and unknown cursors are invalid', () => {
    const c = new ScanCursors({ now: clock });
    const a = c.issue('x');
    for (const bad of ['', 'abc', '-1', '1.5', ' 1', 'a2V5', '18446744073709551616', '99999999999999999999999', String(Number(a) + 1), '1']) {
      expect(c.lookup(bad)).toEqual({ ok: false });
    }
    // The largest u64 parses, and is unknown.
    expect(c.lookup('18446744073709551615')).toEqual({ ok: false });
  });

  test('a new router does not recognise the cursors of an earlier one', () => {
    const first = new ScanCursors({ now: clock });
    const old = first.issue('x');
    now += 5000;
    const second = new ScanCursors({ now: clock });
    expect(second.lookup(old)).toEqual({ ok: false });
    expect(Number(second.issue('y'))).toBeGreaterThan(Number(old));
  });

  test('bounded: past maxLive the oldest unused cursors are evicted', () => {
    const c = new ScanCursors({ now: clock, maxLive: 3 });
    const issued = ['a', 'b', 'c', 'd', 'e'].map((k) => c.issue(k));
    expect(c.size).toBe(3);
    expect(c.lookup(issued[0]).ok).toBe(false);
    expect(c.lookup(issued[1]).ok).toBe(false);
    expect(c.lookup(issued[2])).toEqual({ ok: true, after: 'c' });
    expect(c.lookup(issued[4])).toEqual({ ok: true, after: 'e' });
  });

  test('used cursors are kept apart, bounded too, and do not crowd out unused ones', () => {
    const c = new ScanCursors({ now: clock, maxLive: 2, maxSpent: 2 });
    const keep = c.issue('keep');
    for (let i = 0; i < 10; i++) expect(c.lookup(c.issue(`k${i}`)).ok).toBe(true);
    expect(c.lookup(keep)).toEqual({ ok: true, after: 'keep' });
  });

  test('cursors expire after ttlMs', () => {
    const c = new ScanCursors({ now: clock, ttlMs: 1000 });
    const a = c.issue('a');
    const b = c.issue('b');
    expect(c.lookup(a).ok).toBe(true);
    now += 1001;
    expect(c.lookup(a).ok).toBe(false); // used, then expired
    expect(c.lookup(b).ok).toBe(false); // never used, expired
    c.issue('c'); // issuing sweeps the expired ones out
    expect(c.size).toBe(1);
  });
});
