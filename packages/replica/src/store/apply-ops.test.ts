import { ErrorCode, ExpireCond, KvndbError, type WriteOp, type WriteResult } from '@kvndb/shared';
import { applyOps, checkOps } from './apply-ops';
import { MemoryStore } from './memory-store';

/**
 * applyOps, the one place for write semantics, against a MemoryStore as its primitives
 * (the store contract suite runs the same ops through both backends). Times are router ms.
 */
const b = (s: string): Buffer => Buffer.from(s, 'latin1');
let store: MemoryStore;
let seq: number;
/** Apply ops as one write at router time `time`; results of each op. */
const at = (time: number, ...ops: WriteOp[]): WriteResult[] => applyOps(store, ops, { seq: ++seq, time });
const one = (time: number, op: WriteOp): WriteResult => at(time, op)[0];
const val = (key: string, now: number): string | undefined => store.get(key, now)?.toString('latin1');
const meta = (key: string) => store.meta(key);

beforeEach(() => {
  store = new MemoryStore();
  seq = 0;
});
afterEach(() => store.close());

/** A key 'k' = 'old' that expired at 150 (set at 100 with px 50), still stored. */
function expiredKey(): void {
  one(100, ['s', 'k', b('old'), { px: 50 }]);
  expect(meta('k')?.expires).toBe(150);
}

describe('set', () => {
  test('plain set stamps version and updated time and clears an expiry', () => {
    expect(one(100, ['s', 'k', b('v'), { px: 1000 }])).toBe(true);
    expect(meta('k')).toMatchObject({ version: 1, updated: 100, expires: 1100 });
    expect(one(200, ['s', 'k', b('w')])).toBe(true);
    expect(meta('k')).toMatchObject({ version: 2, updated: 200, expires: 0 });
    expect(store.expiringCount()).toBe(0);
  });

  test('px is relative to the write time, at absolute; keep keeps the expiry', () => {
    one(100, ['s', 'k', b('v'), { px: 1000 }]);
    one(300, ['s', 'k', b('w'), { keep: true }]);
    expect(meta('k')).toMatchObject({ version: 2, updated: 300, expires: 1100 });
    one(400, ['s', 'k', b('x'), { at: 5000 }]);
    expect(meta('k')?.expires).toBe(5000);
    // KEEPTTL on a key without expiry, and on a missing key: none.
    one(500, ['s', 'p', b('1'), { keep: true }]);
    expect(meta('p')?.expires).toBe(0);
  });

  test('KEEPTTL on an expired key keeps nothing: the key was absent', () => {
    expiredKey();
    one(200, ['s', 'k', b('new'), { keep: true }]);
    expect(meta('k')?.expires).toBe(0);
    expect(val('k', 10_000)).toBe('new');
  });

  test('an absolute expiry at or before the write time deletes the key (EXAT in the past), GET still gives the old value', () => {
    one(100, ['s', 'k', b('old')]);
    expect(one(200, ['s', 'k', b('new'), { at: 200 }])).toBe(true);
    expect(meta('k')).toBeUndefined();
    one(300, ['s', 'k', b('old2')]);
    expect(one(400, ['s', 'k', b('new'), { at: 1, get: true }])).toEqual([true, b('old2')]);
    expect(meta('k')).toBeUndefined();
    expect(store.count()).toBe(0);
  });

  test('expired keys are absent for NX, XX, version and IFEQ conditions and GET', () => {
    expiredKey();
    expect(one(200, ['s', 'k', b('x'), { xx: true }])).toBe(false);
    expect(one(200, ['s', 'k', b('x'), { eq: b('old') }])).toBe(false);
    expect(one(200, ['s', 'k', b('x'), { ver: 1 }])).toBe(false);
    expect(one(200, ['s', 'k', b('x'), { nx: true, get: true }])).toEqual([true, null]);
    expect(val('k', 200)).toBe('x');
    expiredKey();
    expect(one(200, ['s', 'k', b('y'), { ver: 0 }])).toBe(true);
  });

  test('IFEQ: applies on an equal value only, never creates a missing key, GET gives the old value either way', () => {
    expect(one(100, ['s', 'k', b('v'), { eq: b('v') }])).toBe(false);
    expect(store.count()).toBe(0);
    one(100, ['s', 'k', b('v')]);
    expect(one(200, ['s', 'k', b('w'), { eq: b('x'), get: true }])).toEqual([false, b('v')]);
    expect(one(200, ['s', 'k', b('w'), { eq: b('v'), get: true, px: 10 }])).toEqual([true, b('v')]);
    expect(meta('k')).toMatchObject({ version: 4, expires: 210 });
    expect(one(205, ['s', 'k', b('z'), { eq: b('') }])).toBe(false);
  });

  test('a condition that fails changes nothing, metadata included', () => {
    one(100, ['s', 'k', b('v'), { px: 500 }]);
    expect(one(200, ['s', 'k', b('w'), { nx: true }])).toBe(false);
    expect(one(200, ['s', 'n', b('w'), { xx: true }])).toBe(false);
    expect(meta('k')).toMatchObject({ version: 1, updated: 100, expires: 600 });
    expect(meta('n')).toBeUndefined();
  });
});

describe('del, getdel', () => {
  test('deleting an expired key removes it and answers false, as Redis does', () => {
    expiredKey();
    expect(one(200, ['d', 'k'])).toBe(false);
    expect(store.count()).toBe(0);
    one(200, ['s', 'k', b('v')]);
    expect(one(200, ['d', 'k'])).toBe(true);
    expect(one(200, ['d', 'k'])).toBe(false);
  });

  test('getdel gives the live value and removes it; nil for expired and missing keys', () => {
    expiredKey();
    expect(one(200, ['gd', 'k'])).toBeNull();
    one(200, ['s', 'k', b('v')]);
    expect(one(300, ['gd', 'k'])).toEqual(b('v'));
    expect(one(300, ['gd', 'k'])).toBeNull();
  });
});

describe('counters, append, setrange', () => {
  test('incr starts an expired key at 0 without its old expiry; a live key keeps its expiry', () => {
    one(100, ['s', 'c', b('41'), { px: 1000 }]);
    expect(one(200, ['i', 'c', '1'])).toBe(42);
    expect(meta('c')).toMatchObject({ version: 2, updated: 200, expires: 1100 });
    expect(one(1100, ['i', 'c', '5'])).toBe(5);
    expect(meta('c')?.expires).toBe(0);
  });

  test('incr errors change nothing', () => {
    one(100, ['s', 'c', b('x')]);
    expect(one(200, ['i', 'c', '1'])).toEqual({ error: ErrorCode.NOT_A_NUMBER, message: 'value is not an integer or out of range' });
    one(100, ['s', 'n', b('9223372036854775807')]);
    expect(one(200, ['i', 'n', '1'])).toMatchObject({ error: ErrorCode.OVERFLOW });
    one(100, ['s', 's', b('9007199254740991')]);
    expect(one(200, ['i', 's', '1', true])).toMatchObject({ error: ErrorCode.OVERFLOW });
    expect(one(200, ['i', 's', '1'])).toBe('9007199254740992');
    expect(val('c', 200)).toBe('x');
    expect(meta('n')?.version).toBe(3);
  });

  test('incrbyfloat, append and setrange treat expired keys as absent and keep a live expiry', () => {
    expiredKey();
    expect(one(200, ['f', 'k', '1.5'])).toBe('1.5');
    expect(meta('k')?.expires).toBe(0);
    expiredKey();
    expect(one(200, ['a', 'k', b('ab')])).toBe(2);
    expiredKey();
    expect(one(200, ['r', 'k', 2, b('x')])).toBe(3);
    expect(store.get('k', 200)).toEqual(Buffer.from([0, 0, 0x78]));
    one(300, ['s', 'e', b('hello'), { px: 1000 }]);
    expect(one(400, ['a', 'e', b('!')])).toBe(6);
    expect(one(400, ['r', 'e', 0, b('J')])).toBe(6);
    expect(one(400, ['f', 'n', '0.1'])).toBe('0.1');
    expect(meta('e')?.expires).toBe(1300);
    expect(val('e', 400)).toBe('Jello!');
  });

  test('setrange with no bytes changes nothing and creates no key', () => {
    expect(one(100, ['r', 'k', 5, b('')])).toBe(0);
    expect(store.count()).toBe(0);
  });
});

describe('expire', () => {
  const expire = (time: number, key: string, px: number | null, atMs: number | null, cond: ExpireCond = ExpireCond.NONE) =>
    one(time, ['e', key, px, atMs, cond]);

  test('missing and expired keys: false, nothing created', () => {
    expect(expire(100, 'k', 1000, null)).toBe(false);
    expiredKey();
    expect(expire(200, 'k', 1000, null)).toBe(false);
    expect(expire(200, 'k', null, null)).toBe(false);
    expect(meta('k')?.expires).toBe(150);
  });

  test('relative and absolute, with version and updated time; persist removes an expiry once', () => {
    one(100, ['s', 'k', b('v')]);
    expect(expire(200, 'k', 1000, null)).toBe(true);
    expect(meta('k')).toMatchObject({ version: 2, updated: 200, expires: 1200 });
    expect(expire(300, 'k', null, 5000)).toBe(true);
    expect(meta('k')?.expires).toBe(5000);
    expect(expire(400, 'k', null, null)).toBe(true);
    expect(meta('k')).toMatchObject({ version: 4, updated: 400, expires: 0 });
    expect(expire(500, 'k', null, null)).toBe(false);
    expect(meta('k')?.version).toBe(4);
    expect(store.expiringCount()).toBe(0);
  });

  test('an expiry at or before the write time deletes the key and answers true', () => {
    one(100, ['s', 'k', b('v')]);
    expect(expire(200, 'k', null, 200)).toBe(true);
    expect(store.count()).toBe(0);
  });

  test('NX, XX, GT, LT on a key without an expiry, as Redis (no expiry = infinite TTL)', () => {
    one(100, ['s', 'k', b('v')]);
    expect(expire(100, 'k', 1000, null, ExpireCond.XX)).toBe(false);
    expect(expire(100, 'k', 1000, null, ExpireCond.GT)).toBe(false);
    expect(expire(100, 'k', 1000, null, ExpireCond.XX_LT)).toBe(false);
    expect(meta('k')).toMatchObject({ version: 1, expires: 0 });
    expect(expire(100, 'k', 1000, null, ExpireCond.LT)).toBe(true);
    one(100, ['s', 'k', b('v')]);
    expect(expire(100, 'k', 1000, null, ExpireCond.NX)).toBe(true);
    expect(meta('k')?.expires).toBe(1100);
  });

  test('NX, XX, GT, LT on a key with an expiry', () => {
    one(100, ['s', 'k', b('v'), { px: 1000 }]); // expires 1100
    expect(expire(100, 'k', 2000, null, ExpireCond.NX)).toBe(false);
    expect(expire(100, 'k', 1000, null, ExpireCond.GT)).toBe(false); // equal is not greater
    expect(expire(100, 'k', 1000, null, ExpireCond.LT)).toBe(false);
    expect(expire(100, 'k', 1001, null, ExpireCond.GT)).toBe(true);
    expect(expire(100, 'k', 500, null, ExpireCond.LT)).toBe(true);
    expect(expire(100, 'k', 400, null, ExpireCond.XX_LT)).toBe(true);
    expect(expire(100, 'k', 3000, null, ExpireCond.XX)).toBe(true);
    expect(meta('k')?.expires).toBe(3100);
    // LT to the past deletes.
    expect(expire(200, 'k', null, 1, ExpireCond.LT)).toBe(true);
    expect(store.count()).toBe(0);
  });
});

describe('getex', () => {
  test('nil for missing and expired keys, nothing created', () => {
    expect(one(100, ['gx', 'k', 1000, null, false])).toBeNull();
    expiredKey();
    expect(one(200, ['gx', 'k', null, null, true])).toBeNull();
    expect(meta('k')).toMatchObject({ version: 2, updated: 100, expires: 150 });
    expect(store.count()).toBe(1);
  });

  test('sets, persists, or deletes with an expiry in the past, giving the value each time', () => {
    one(100, ['s', 'k', b('v')]);
    expect(one(200, ['gx', 'k', 1000, null, false])).toEqual(b('v'));
    expect(meta('k')).toMatchObject({ version: 2, updated: 200, expires: 1200 });
    expect(one(300, ['gx', 'k', null, 9000, false])).toEqual(b('v'));
    expect(meta('k')?.expires).toBe(9000);
    expect(one(400, ['gx', 'k', null, null, true])).toEqual(b('v'));
    expect(meta('k')).toMatchObject({ version: 4, expires: 0 });
    // Persist without an expiry changes nothing, not even the version.
    expect(one(500, ['gx', 'k', null, null, true])).toEqual(b('v'));
    expect(meta('k')?.version).toBe(4);
    expect(one(600, ['gx', 'k', null, 600, false])).toEqual(b('v'));
    expect(store.count()).toBe(0);
  });
});

describe('move (RENAME, RENAMENX, COPY)', () => {
  test('rename moves the value and expiry and stamps the target; the source is gone', () => {
    one(100, ['s', 'a', b('v'), { px: 1000 }]);
    one(100, ['s', 'b', b('old'), { px: 50 }]);
    expect(one(200, ['m', 'a', 'b', {}])).toBe(true);
    expect(meta('a')).toBeUndefined();
    expect(meta('b')).toMatchObject({ version: 3, updated: 200, expires: 1100 });
    expect(store.expiringCount()).toBe(1);
    one(300, ['s', 'c', b('w')]);
    one(300, ['s', 'd', b('x'), { px: 100 }]);
    expect(one(300, ['m', 'c', 'd', {}])).toBe(true);
    expect(meta('d')?.expires).toBe(0);
    expect(store.expiringCount()).toBe(1);
  });

  test('missing or expired source: NO_SUCH_KEY for rename, false for copy', () => {
    expect(one(100, ['m', 'a', 'b', {}])).toEqual({ error: ErrorCode.NO_SUCH_KEY, message: 'no such key' });
    expiredKey();
    expect(one(200, ['m', 'k', 'b', {}])).toMatchObject({ error: ErrorCode.NO_SUCH_KEY });
    expect(one(200, ['m', 'k', 'b', { copy: true }])).toBe(false);
    expect(meta('b')).toBeUndefined();
  });

  test('NX against a live target fails, against an expired one applies; same key', () => {
    one(100, ['s', 'a', b('1')]);
    one(100, ['s', 't', b('2')]);
    expect(one(100, ['m', 'a', 't', { nx: true }])).toBe(false);
    one(100, ['s', 'x', b('3'), { px: 10 }]);
    expect(one(200, ['m', 'a', 'x', { nx: true }])).toBe(true);
    expect(val('x', 200)).toBe('1');
    expect(one(200, ['m', 'x', 'x', {}])).toBe(true);
    expect(one(200, ['m', 'x', 'x', { nx: true }])).toBe(false);
    expect(one(200, ['m', 'x', 'x', { copy: true }])).toBe(false);
  });

  test('copy keeps the source and copies its expiry', () => {
    one(100, ['s', 'a', b('v'), { px: 1000 }]);
    expect(one(200, ['m', 'a', 'c', { copy: true }])).toBe(true);
    expect(meta('a')).toMatchObject({ version: 1, expires: 1100 });
    expect(meta('c')).toMatchObject({ version: 2, updated: 200, expires: 1100 });
  });
});

describe('flush and sweep', () => {
  test('flush removes everything', () => {
    one(100, ['s', 'a', b('1'), { px: 10 }]);
    one(100, ['s', 'b', b('2')]);
    expect(one(100, ['F'])).toBe(true);
    expect([store.count(), store.expiringCount(), store.nextExpiry()]).toEqual([0, 0, 0]);
  });

  test('sweep removes keys expired at the write time, in (expiry, key) order, up to the limit, and gives the next expiry', () => {
    one(100, ['s', 'c', b('1'), { at: 500 }]);
    one(100, ['s', 'b', b('1'), { at: 300 }]);
    one(100, ['s', 'a', b('1'), { at: 300 }]);
    one(100, ['s', 'd', b('1'), { at: 900 }]);
    one(100, ['s', 'e', b('1')]);
    expect(one(200, ['x', 10])).toEqual([[], 300]);
    expect(one(600, ['x', 2])).toEqual([['a', 'b'], 500]);
    // A key expiring exactly at the write's time is expired.
    expect(one(500, ['x', 2])).toEqual([['c'], 900]);
    expect(store.scan('', null, 10, 600)).toEqual(['d', 'e']);
    expect(one(1000, ['x', 2])).toEqual([['d'], 0]);
    expect([store.count(), store.expiringCount(), store.nextExpiry()]).toEqual([1, 0, 0]);
  });

  test('a sweep lists at most about 1 MiB of key names, and what it lists is exactly what it removed', () => {
    const long = 'k'.repeat(60_000);
    for (let i = 0; i < 20; i++) one(100, ['s', `${long}${String(i).padStart(2, '0')}`, b('v'), { px: 1 }]);
    const [removed, next] = one(200, ['x', 1000]) as [string[], number];
    expect(removed.length).toBeGreaterThan(0);
    expect(removed.length).toBeLessThan(20);
    expect(store.count()).toBe(20 - removed.length);
    expect(next).toBe(101);
    const [rest] = one(200, ['x', 1000]) as [string[], number];
    expect(removed.length + rest.length).toBe(20);
  });
});

describe('transactions', () => {
  test('comparisons see expired keys as absent: version 0, no value, not existing', () => {
    expiredKey();
    const [pass, results] = one(200, ['t', [['v', 'k', 0], ['e', 'k', false]], [['G', 'k'], ['s', 'k', b('new')]], [['s', 'other', b('x')]]]) as [
      boolean,
      WriteResult[],
    ];
    expect(pass).toBe(true);
    expect(results).toEqual([null, true]);
    expect(meta('other')).toBeUndefined();
    expect(one(200, ['t', [['=', 'gone', b('')]], [], [['V', 'k']]])).toEqual([false, [[b('new'), 2, 200, 0]]]);
  });

  test('the else branch runs when a comparison fails, and reads see the branch\'s earlier writes', () => {
    one(100, ['s', 'k', b('v'), { px: 1000 }]);
    const r = one(200, ['t', [['=', 'k', b('nope')]], [['d', 'k']], [['e', 'k', null, 5000, 0], ['V', 'k'], ['G', 'missing']]]);
    expect(r).toEqual([false, [true, [b('v'), 2, 200, 5000], null]]);
    expect(one(300, ['t', [['v', 'k', 2], ['e', 'k', true]], [['gd', 'k']], []])).toEqual([true, [b('v')]]);
  });
});

describe('checkOps', () => {
  test('refuses malformed ops, sweeps and flushes inside transactions, bad conditions', () => {
    const bad: unknown[] = [
      [['x', 0]],
      [['x']],
      [['F', 1]],
      [['t', [], [['x', 5]], []]],
      [['t', [], [['t', [], [], []]], []]],
      [['e', 'k', 0, null, 0]],
      [['e', 'k', 10, 20, 0]],
      [['e', 'k', 10, null, 6]],
      [['gx', 'k', null, null, 'yes']],
      [['s', 'k', b('v'), { px: 0 }]],
      [['s', 'k', b('v'), { at: -1 }]],
      [['s', 'k', b('v'), { ttl: 5 }]],
      [['t', [['v', 'k', -1]], [], []]],
      [['zz', 'k']],
    ];
    for (const ops of bad) expect(() => checkOps(ops)).toThrow(KvndbError);
    expect(() => checkOps([['e', 'k', 10, null, ExpireCond.XX_LT], ['x', 1], ['F']])).not.toThrow();
  });
});
