/**
 * The storage contract every backend must meet (keyv test-suite style): a backend's test file
 * runs it in one line, `storeContractSuite('memory', () => new MemoryStore())`, and adds its
 * own extra tests. Excluded from the build because it uses jest globals.
 */
import {
  KvndbError,
  Op,
  compareKeys,
  encodeFrame,
  encodeLatin1BinFrame,
  storedToBuffer,
  type Latin1Bytes,
  type StoredBytes,
  type WriteOp,
} from '@kvndb/shared';
import type { Store, StoreSnapshot, WriteBatch } from './store';

export interface StoreContractOptions {
  /** Close the store and open it again on the same data (persistent backends only). */
  reopen?: (store: Store) => Store;
}

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const set = (key: string, value: string | Uint8Array, flags?: { nx?: boolean; xx?: boolean; get?: boolean }): WriteOp =>
  flags ? ['s', key, typeof value === 'string' ? b(value) : value, flags] : ['s', key, typeof value === 'string' ? b(value) : value];
const del = (key: string): WriteOp => ['d', key];

/** A tiny seeded PRNG so randomized tests are reproducible. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function drain(snap: StoreSnapshot, maxEntries = 1000, maxBytes = 1 << 20): Map<string, string> {
  const out = new Map<string, string>();
  for (let chunk = snap.next(maxEntries, maxBytes); chunk !== null; chunk = snap.next(maxEntries, maxBytes)) {
    for (const [k, v] of chunk) {
      if (out.has(k)) throw new Error(`snapshot yielded ${k} twice`);
      out.set(k, v.toString('hex'));
    }
  }
  return out;
}

function contents(store: Store): Map<string, string> {
  const out = new Map<string, string>();
  let cursor: string | null = null;
  for (;;) {
    const keys = store.scan('', cursor, 500, 1);
    for (const k of keys) out.set(k, (store.get(k, 1) as Buffer).toString('hex'));
    if (keys.length < 500) return out;
    cursor = keys[keys.length - 1];
  }
}

/** UTF-8 byte order: what SQLite's BINARY collation uses and what compareKeys must match. */
const utf8Order = (a: string, b2: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b2));

export function storeContractSuite(name: string, makeStore: () => Store, options: StoreContractOptions = {}): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let seq = 0;
    const write = (...ops: WriteOp[]) => store.apply([{ epoch: 7, seq: ++seq, time: 1, ops }])[0];

    beforeEach(() => {
      store = makeStore();
      seq = 0;
    });
    afterEach(() => {
      store.close();
    });

    test('a new store is empty at position (0,0)', () => {
      expect(typeof store.kind).toBe('string');
      expect(store.position()).toEqual({ epoch: 0, seq: 0 });
      expect(store.get('a', 1)).toBeUndefined();
      expect(store.has('a', 1)).toBe(false);
      expect(store.count()).toBe(0);
      expect(store.scan('', null, 10, 1)).toEqual([]);
      expect(drain(store.snapshot()).size).toBe(0);
    });

    test('set, get, has and del with binary values', () => {
      const bin = Buffer.from([0, 255, 1, 254, 0]);
      expect(write(set('k1', bin), set('k2', ''), set('k3', 'three'))).toEqual([true, true, true]);
      expect(store.get('k1', 1)).toEqual(bin);
      expect(Buffer.isBuffer(store.get('k1', 1))).toBe(true);
      expect(store.get('k2', 1)).toEqual(Buffer.alloc(0));
      expect(store.has('k2', 1)).toBe(true);
      expect(store.count()).toBe(3);
      expect(write(del('k3'), del('k3'), del('nope'))).toEqual([true, false, false]);
      expect(store.has('k3', 1)).toBe(false);
      expect(store.get('k3', 1)).toBeUndefined();
      expect(store.count()).toBe(2);
      expect(write(set('k1', 'new'))).toEqual([true]);
      expect(store.get('k1', 1)).toEqual(b('new'));
    });

    test('getStored gives exactly the stored bytes, as a Buffer or as Latin1Bytes, which encode to the same frame', () => {
      // Every byte value, and sizes around the ones backends switch representation at.
      const sizes = [0, 1, 2, 31, 32, 255, 256, 4095, 4096, 8191, 8192, 70000];
      const values = sizes.map((n, salt) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + salt) & 0xff)));
      values.push(Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
      write(...values.map((v, i) => set(`k${i}`, v)));
      expect(store.getStored('missing', 1)).toBeUndefined();
      values.forEach((v, i) => {
        const stored = store.getStored(`k${i}`, 1);
        if (typeof stored === 'string') {
          expect(stored.length).toBe(v.length);
          for (let c = 0; c < stored.length; c++) if (stored.charCodeAt(c) > 0xff) throw new Error(`k${i}: not Latin-1 at ${c}`);
          // The fast path and the generic encoder put the same bytes on the wire.
          const latin1 = encodeLatin1BinFrame(Op.RESULT, 9, stored as Latin1Bytes);
          expect(latin1.equals(encodeFrame([Op.RESULT, 9, v], Infinity))).toBe(true);
        } else {
          expect(Buffer.isBuffer(stored)).toBe(true);
        }
        expect(storedToBuffer(stored as StoredBytes).equals(v)).toBe(true);
        expect(store.get(`k${i}`, 1)?.equals(v)).toBe(true);
      });
      write(del('k1'));
      expect(store.getStored('k1', 1)).toBeUndefined();
    });

    test('stored values do not alias the caller buffer', () => {
      const chunk = Buffer.from('xxvaluexx');
      write(['s', 'k', chunk.subarray(2, 7)]);
      store.load([['l', chunk.subarray(0, 2), 1, 0, 0]]);
      chunk.fill(0);
      expect(store.get('k', 1)).toEqual(b('value'));
      expect(store.get('l', 1)).toEqual(b('xx'));
    });

    test('NX, XX and GET flags give the documented results', () => {
      expect(write(set('a', '1', { nx: true }))).toEqual([true]);
      expect(write(set('a', '2', { nx: true }))).toEqual([false]);
      expect(store.get('a', 1)).toEqual(b('1'));
      expect(write(set('x', '1', { xx: true }))).toEqual([false]);
      expect(store.has('x', 1)).toBe(false);
      expect(write(set('a', '3', { xx: true }))).toEqual([true]);
      expect(store.get('a', 1)).toEqual(b('3'));
      expect(write(set('g', 'v1', { get: true }))).toEqual([[true, null]]);
      expect(write(set('g', 'v2', { get: true }))).toEqual([[true, b('v1')]]);
      expect(write(set('g', 'v3', { nx: true, get: true }))).toEqual([[false, b('v2')]]);
      expect(store.get('g', 1)).toEqual(b('v2'));
      expect(write(set('h', 'v', { xx: true, get: true }))).toEqual([[false, null]]);
      expect(store.has('h', 1)).toBe(false);
      expect(write(set('g', 'v4', { xx: true, get: true }))).toEqual([[true, b('v2')]]);
      expect(write(set('f', 'v', { nx: false, xx: false, get: false }))).toEqual([true]);
    });

    test('ops in one write see the earlier ops of the same write', () => {
      expect(write(set('a', '1'), set('a', '2', { nx: true }), del('a'), set('a', '3', { nx: true, get: true }))).toEqual([
        true,
        false,
        true,
        [true, null],
      ]);
      expect(store.get('a', 1)).toEqual(b('3'));
    });

    test('apply groups several writes, returns per-write results and moves the position to the last', () => {
      const batches: WriteBatch[] = [
        { epoch: 5, seq: 1, time: 1, ops: [set('a', '1')] },
        { epoch: 5, seq: 2, time: 1, ops: [set('a', '2', { nx: true }), set('b', '2')] },
        { epoch: 6, seq: 3, time: 1, ops: [] },
        { epoch: 6, seq: 4, time: 1, ops: [del('a')] },
      ];
      expect(store.apply(batches)).toEqual([[true], [false, true], [], [true]]);
      expect(store.position()).toEqual({ epoch: 6, seq: 4 });
      expect(store.has('a', 1)).toBe(false);
      // An empty write is an epoch marker: only the position moves.
      expect(store.apply([{ epoch: 9, seq: 5, time: 1, ops: [] }])).toEqual([[]]);
      expect(store.position()).toEqual({ epoch: 9, seq: 5 });
      expect(store.count()).toBe(1);
      expect(store.apply([])).toEqual([]);
      expect(store.position()).toEqual({ epoch: 9, seq: 5 });
    });

    test('a malformed op fails the whole group: no data and no position change', () => {
      store.apply([{ epoch: 1, seq: 1, time: 1, ops: [set('keep', 'old')] }]);
      const bad = [
        { epoch: 1, seq: 2, time: 1, ops: [set('keep', 'new'), set('other', 'x')] },
        { epoch: 1, seq: 3, time: 1, ops: [set('third', 'y'), ['s', 'bad', 'not bytes'] as unknown as WriteOp] },
      ];
      expect(() => store.apply(bad)).toThrow(KvndbError);
      try {
        store.apply(bad);
      } catch (err) {
        expect((err as KvndbError).code).toBe('BAD_REQUEST');
      }
      expect(store.position()).toEqual({ epoch: 1, seq: 1 });
      expect(store.get('keep', 1)).toEqual(b('old'));
      expect(store.has('other', 1)).toBe(false);
      expect(store.has('third', 1)).toBe(false);
      for (const op of [['x', 'k'], ['d'], ['d', ''], ['s', 'k'], ['s', 'k', b('v'), 'flags'], 'op', null]) {
        expect(() => store.apply([{ epoch: 1, seq: 2, time: 1, ops: [op as unknown as WriteOp] }])).toThrow(KvndbError);
      }
      expect(() => store.apply([{ epoch: 1, seq: -1, time: 1, ops: [] }])).toThrow(KvndbError);
      expect(store.position()).toEqual({ epoch: 1, seq: 1 });
      expect(store.count()).toBe(1);
    });

    test('scan filters by prefix, pages with a cursor and honours the limit', () => {
      const keys = ['user:1', 'user:2', 'user:3', 'user:10', 'users', 'usex', 'a', 'user', 'user:'];
      write(...keys.map((k) => set(k, k)));
      expect(store.scan('user:', null, 100, 1)).toEqual(['user:', 'user:1', 'user:10', 'user:2', 'user:3']);
      expect(store.scan('user:', null, 2, 1)).toEqual(['user:', 'user:1']);
      expect(store.scan('user:', 'user:1', 2, 1)).toEqual(['user:10', 'user:2']);
      expect(store.scan('user:', 'user:2', 2, 1)).toEqual(['user:3']);
      expect(store.scan('user:', 'user:3', 2, 1)).toEqual([]);
      // A cursor before the prefix range starts at the prefix; one after it finds nothing.
      expect(store.scan('user:', 'a', 2, 1)).toEqual(['user:', 'user:1']);
      expect(store.scan('user:', 'zzz', 2, 1)).toEqual([]);
      // A cursor that is not a stored key still pages from the right place.
      expect(store.scan('user:', 'user:15', 10, 1)).toEqual(['user:2', 'user:3']);
      expect(store.scan('', null, 3, 1)).toEqual(['a', 'user', 'user:']);
      expect(store.scan('nothing', null, 3, 1)).toEqual([]);
      expect(store.scan('', null, 0, 1)).toEqual([]);
      expect(store.scan('u', null, 100, 1)).toEqual([...keys].filter((k) => k.startsWith('u')).sort(compareKeys));
    });

    test("an append carrying the router's value limit is refused past it, changing nothing", () => {
      expect(write(['a', 'k', b('abc'), 5])).toEqual([3]);
      expect(write(['a', 'k', b('de'), 5])).toEqual([5]);
      expect(write(['a', 'k', b('f'), 5])).toEqual([{ error: 'TOO_LARGE', message: 'string exceeds maximum allowed size (proto-max-bulk-len)' }]);
      expect(write(['a', 'new', b('123456'), 5])).toEqual([{ error: 'TOO_LARGE', message: 'string exceeds maximum allowed size (proto-max-bulk-len)' }]);
      expect(store.get('k', 1)).toEqual(b('abcde'));
      expect(store.has('new', 1)).toBe(false);
      expect(() => write(['a', 'k', b('x'), -1] as unknown as WriteOp)).toThrow(KvndbError);
    });

    test('randomKey gives a live key, every one in time, never an expired one; undefined when none is live', () => {
      expect(store.randomKey(1)).toBeUndefined();
      const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
      write(...keys.map((k) => set(k, k)));
      // Expire at router time 100: live for reads at 50, gone at 100.
      write(['s', 'soon1', b('x'), { at: 100 }], ['s', 'soon2', b('x'), { at: 100 }]);
      const seen = new Set<string>();
      for (let i = 0; i < 2000; i++) seen.add(store.randomKey(100) as string);
      expect([...seen].sort()).toEqual([...keys].sort());
      const early = new Set<string>();
      for (let i = 0; i < 2000; i++) early.add(store.randomKey(50) as string);
      expect(early.has('soon1') && early.has('soon2')).toBe(true);
      write(...keys.map(del));
      expect(store.count()).toBe(2);
      expect(store.randomKey(100)).toBeUndefined();
      expect(['soon1', 'soon2']).toContain(store.randomKey(99));
    });

    test('scan order is Unicode code point order (UTF-8 byte order), astral characters included', () => {
      const keys = ['k\uFFFD', 'k\u{1F600}', 'k\uE000', 'k\u00E9', 'k', 'kz', 'k\u{10000}', 'k\uD7FF', 'k\u{1F600}a', 'k\uFB01', 'K'];
      write(...keys.map((k) => set(k, 'v')));
      const expected = [...keys].sort(utf8Order);
      expect([...keys].sort(compareKeys)).toEqual(expected);
      expect(store.scan('', null, 100, 1)).toEqual(expected);
      // Paging one key at a time agrees with the full scan.
      const paged: string[] = [];
      let cursor: string | null = null;
      for (;;) {
        const page = store.scan('k', cursor, 1, 1);
        if (page.length === 0) break;
        paged.push(...page);
        cursor = page[0];
      }
      expect(paged).toEqual(expected.filter((k) => k.startsWith('k')));
      expect(store.scan('k\u{1F600}', null, 10, 1)).toEqual(['k\u{1F600}', 'k\u{1F600}a']);
      const snapKeys = [...drain(store.snapshot(), 3).keys()];
      expect(snapKeys.sort(utf8Order)).toEqual(expected);
    });

    test('reset wipes data and position', () => {
      store.apply([{ epoch: 3, seq: 4, time: 1, ops: [set('a', '1'), set('b', '2')] }]);
      store.reset();
      expect(store.position()).toEqual({ epoch: 0, seq: 0 });
      expect(store.count()).toBe(0);
      expect(store.get('a', 1)).toBeUndefined();
      expect(store.scan('', null, 10, 1)).toEqual([]);
      store.apply([{ epoch: 3, seq: 1, time: 1, ops: [set('c', '3')] }]);
      expect(store.scan('', null, 10, 1)).toEqual(['c']);
    });

    test('load adds entries without moving the position; setPosition sets it', () => {
      store.apply([{ epoch: 2, seq: 2, time: 1, ops: [set('a', 'old')] }]);
      store.load([
        ['a', b('loaded'), 1, 0, 0],
        ['b', b('2'), 1, 0, 0],
        ['c', Buffer.alloc(0), 1, 0, 0],
      ]);
      expect(store.position()).toEqual({ epoch: 2, seq: 2 });
      expect(store.count()).toBe(3);
      expect(store.get('a', 1)).toEqual(b('loaded'));
      expect(store.scan('', null, 10, 1)).toEqual(['a', 'b', 'c']);
      store.setPosition({ epoch: 11, seq: 40 });
      expect(store.position()).toEqual({ epoch: 11, seq: 40 });
      expect(() => store.setPosition({ epoch: -1, seq: 1 })).toThrow(KvndbError);
      expect(() => store.load([['', b('x'), 1, 0, 0]])).toThrow(KvndbError);
      expect(() => store.load([['k', 'str' as unknown as Buffer, 1, 0, 0]])).toThrow(KvndbError);
      expect(store.position()).toEqual({ epoch: 11, seq: 40 });
    });

    test('snapshot chunks respect maxEntries and maxBytes', () => {
      write(...Array.from({ length: 50 }, (_, i) => set(`k${String(i).padStart(2, '0')}`, Buffer.alloc(100, i))));
      const snap = store.snapshot();
      const first = snap.next(7, 1 << 20);
      expect(first).toHaveLength(7);
      const second = snap.next(100, 350);
      expect(second!.length).toBeGreaterThanOrEqual(1);
      expect(second!.length).toBeLessThanOrEqual(4);
      const rest = drain(snap);
      expect(7 + second!.length + rest.size).toBe(50);
      expect(snap.next(10, 1000)).toBeNull();
      snap.close();
    });

    test('a snapshot is unaffected by writes made after it was taken, before its first chunk', () => {
      write(set('a', '1'), set('b', '2'));
      const snap = store.snapshot();
      write(set('a', 'changed'), del('b'), set('c', 'new'));
      expect(drain(snap)).toEqual(
        new Map([
          ['a', b('1').toString('hex')],
          ['b', b('2').toString('hex')],
        ]),
      );
      snap.close();
    });

    test('a snapshot stays consistent while writes and deletes happen during iteration', () => {
      const keys = Array.from({ length: 200 }, (_, i) => `key:${String(i).padStart(3, '0')}`);
      write(...keys.map((k) => set(k, `v0-${k}`)));
      const expected = contents(store);
      const snap = store.snapshot();
      const got = new Map<string, string>();
      let step = 0;
      for (let chunk = snap.next(10, 1 << 20); chunk !== null; chunk = snap.next(10, 1 << 20)) {
        for (const [k, v] of chunk) {
          expect(got.has(k)).toBe(false);
          got.set(k, v.toString('hex'));
        }
        step++;
        const ahead = keys[Math.min(199, 10 * step + 5)];
        const behind = keys[Math.max(0, 10 * step - 5)];
        const far = keys[199 - step];
        write(
          set(ahead, `changed-${step}`),
          set(behind, `changed-${step}`),
          del(far),
          set(`key:${String(10 * step + 3).padStart(3, '0')}x`, 'created'), // new key ahead
          set(`key:000-new-${step}`, 'created'), // new key behind
        );
        write(del(keys[10 * step + 7] ?? keys[0]), set(keys[10 * step + 7] ?? keys[0], 'recreated'));
        write(set(`gone-${step}`, 'x'), del(`gone-${step}`));
      }
      expect(got).toEqual(expected);
      snap.close();
    });

    test('snapshots stay consistent under random concurrent writes (randomized)', () => {
      for (let round = 0; round < 12; round++) {
        const rnd = prng(1000 + round);
        store.reset();
        const key = () => `r${Math.floor(rnd() * 60)}${rnd() < 0.1 ? '\u{1F600}' : ''}`;
        write(...Array.from({ length: 40 }, () => set(key(), `init${Math.floor(rnd() * 1000)}`)));
        const expected = contents(store);
        const snaps = [store.snapshot(), store.snapshot()];
        const results = snaps.map(() => new Map<string, string>());
        const active = [true, true];
        while (active.some(Boolean)) {
          for (let s = 0; s < snaps.length; s++) {
            if (!active[s] || rnd() < 0.3) continue;
            const chunk = snaps[s].next(1 + Math.floor(rnd() * 5), 1 << 20);
            if (chunk === null) {
              active[s] = false;
              continue;
            }
            for (const [k, v] of chunk) {
              if (results[s].has(k)) throw new Error(`round ${round}: ${k} yielded twice`);
              results[s].set(k, v.toString('hex'));
            }
          }
          const ops: WriteOp[] = [];
          for (let i = Math.floor(rnd() * 4); i > 0; i--) ops.push(rnd() < 0.4 ? del(key()) : set(key(), `w${Math.floor(rnd() * 1000)}`));
          write(...ops);
        }
        expect(results[0]).toEqual(expected);
        expect(results[1]).toEqual(expected);
        snaps.forEach((s) => s.close());
      }
    });

    test('a snapshot survives a reset of the store', () => {
      write(set('a', '1'), set('b', '2'), set('c', '3'));
      const snap = store.snapshot();
      expect(snap.next(1, 1 << 20)).toEqual([['a', b('1'), 1, 1, 0]]);
      write(set('c', 'changed'));
      store.reset();
      write(set('z', 'after'));
      const rest = drain(snap);
      expect(rest).toEqual(
        new Map([
          ['b', b('2').toString('hex')],
          ['c', b('3').toString('hex')],
        ]),
      );
    });

    test('closing a snapshot early stops it', () => {
      write(set('a', '1'), set('b', '2'));
      const snap = store.snapshot();
      expect(snap.next(1, 1000)).toHaveLength(1);
      snap.close();
      expect(snap.next(1, 1000)).toBeNull();
      write(set('b', 'x'));
      expect(store.get('b', 1)).toEqual(b('x'));
    });

    describe('versions, updated times and expiry', () => {
      /** One write at router time `time`, with the next seq. */
      const writeAt = (time: number, ...ops: WriteOp[]) => store.apply([{ epoch: 7, seq: ++seq, time, ops }])[0];
      const meta = (key: string, now: number) => {
        const e = store.entry(key, now);
        return e && { version: e.version, updated: e.updated, expires: e.expires };
      };

      test('a write stamps the key with its seq and time; overwrite, expire, persist and rename restamp it', () => {
        writeAt(1000, set('k', 'v'));
        expect(meta('k', 1000)).toEqual({ version: 1, updated: 1000, expires: 0 });
        writeAt(1100, set('k', 'w'));
        expect(meta('k', 1100)).toEqual({ version: 2, updated: 1100, expires: 0 });
        writeAt(1200, ['e', 'k', 500, null, 0]);
        expect(meta('k', 1200)).toEqual({ version: 3, updated: 1200, expires: 1700 });
        writeAt(1300, ['m', 'k', 'r', {}]);
        expect(meta('k', 1300)).toBeUndefined();
        expect(meta('r', 1300)).toEqual({ version: 4, updated: 1300, expires: 1700 });
        writeAt(1400, ['e', 'r', null, null, 0]);
        expect(meta('r', 1400)).toEqual({ version: 5, updated: 1400, expires: 0 });
        // A write that changes nothing (a failed condition) leaves the stamp alone.
        writeAt(1500, ['s', 'r', b('x'), { nx: true }]);
        expect(meta('r', 1500)).toEqual({ version: 5, updated: 1400, expires: 0 });
        expect(store.entry('r', 1500)?.value).toEqual(b('w'));
        expect(store.time()).toBe(1500);
      });

      test('expiry is judged by the read\'s `now` for get, getStored, has, entry and scan; count keeps it until removed', () => {
        writeAt(1000, ['s', 'a', b('1'), { px: 100 }], set('b', '2'), ['s', 'c', b('3'), { at: 5000 }]);
        for (const now of [1000, 1099]) {
          expect(store.get('a', now)).toEqual(b('1'));
          expect(store.getStored('a', now)).not.toBeUndefined();
          expect(store.has('a', now)).toBe(true);
          expect(store.entry('a', now)?.expires).toBe(1100);
          expect(store.scan('', null, 10, now)).toEqual(['a', 'b', 'c']);
        }
        for (const now of [1100, 4999]) {
          expect(store.get('a', now)).toBeUndefined();
          expect(store.getStored('a', now)).toBeUndefined();
          expect(store.has('a', now)).toBe(false);
          expect(store.entry('a', now)).toBeUndefined();
          expect(store.scan('', null, 10, now)).toEqual(['b', 'c']);
          expect(store.scan('a', null, 10, now)).toEqual([]);
          expect(store.scan('', 'a', 1, now)).toEqual(['b']);
        }
        expect(store.scan('', null, 10, 5000)).toEqual(['b']);
        // Reads never remove: counts include expired keys until a sweep takes them.
        expect([store.count(), store.expiringCount(), store.nextExpiry()]).toEqual([3, 2, 1100]);
      });

      test('sweeps remove expired keys in (expiry, key) order up to their limit; nextExpiry follows', () => {
        writeAt(1000, ['s', 'd', b('1'), { at: 3000 }], ['s', 'c', b('1'), { at: 2000 }], ['s', 'b', b('1'), { at: 2000 }], ['s', 'a', b('1'), { at: 2500 }], set('z', 'forever'));
        expect(store.nextExpiry()).toBe(2000);
        expect(writeAt(1999, ['x', 100])).toEqual([[[], 2000]]);
        expect(writeAt(2600, ['x', 2])).toEqual([[['b', 'c'], 2500]]);
        expect(writeAt(2600, ['x', 2])).toEqual([[['a'], 3000]]);
        expect([store.count(), store.expiringCount(), store.nextExpiry()]).toEqual([2, 1, 3000]);
        expect(writeAt(3000, ['x', 2])).toEqual([[['d'], 0]]);
        expect([store.count(), store.expiringCount(), store.nextExpiry()]).toEqual([1, 0, 0]);
        expect(store.get('z', 1e12)).toEqual(b('forever'));
      });

      test('changing or removing an expiry keeps the expiry index exact', () => {
        writeAt(1000, ['s', 'a', b('1'), { px: 100 }]);
        writeAt(1000, ['e', 'a', null, 9000, 0]);
        writeAt(1000, ['s', 'b', b('1'), { px: 100 }], set('b', 'no ttl'));
        writeAt(1000, ['s', 'c', b('1'), { px: 50 }], ['d', 'c']);
        writeAt(1000, ['s', 'e', b('1'), { px: 70 }], ['gx', 'e', null, null, true]);
        expect([store.expiringCount(), store.nextExpiry()]).toEqual([1, 9000]);
        expect(writeAt(5000, ['x', 10])).toEqual([[[], 9000]]);
        writeAt(5000, ['F']);
        expect([store.count(), store.expiringCount(), store.nextExpiry()]).toEqual([0, 0, 0]);
      });

      test('a snapshot carries version, updated time and expiry (expired keys included) and load() restores them', () => {
        writeAt(1000, ['s', 'a', b('1'), { px: 100 }], set('b', '2'));
        writeAt(1200, ['e', 'b', null, 9000, 0], ['s', 'c', b('3'), { at: 1100 }]);
        const snap = store.snapshot();
        const entries = [];
        for (let chunk = snap.next(10, 1 << 20); chunk !== null; chunk = snap.next(10, 1 << 20)) entries.push(...chunk);
        expect(entries.map(([k, v, ...m]) => [k, v.toString(), ...m])).toEqual([
          ['a', '1', 1, 1000, 1100],
          ['b', '2', 2, 1200, 9000],
        ]);
        store.reset();
        store.load(entries);
        expect(meta('a', 1000)).toEqual({ version: 1, updated: 1000, expires: 1100 });
        expect(meta('b', 1000)).toEqual({ version: 2, updated: 1200, expires: 9000 });
        expect([store.count(), store.expiringCount(), store.nextExpiry()]).toEqual([2, 2, 1100]);
        expect(writeAt(1100, ['x', 10])).toEqual([[['a'], 9000]]);
      });
    });

    describe('content types', () => {
      const HTML = 'text/html; charset=utf-8';
      const typed = (key: string, value: string, ct: string, flags: Record<string, unknown> = {}): WriteOp => ['s', key, b(value), { ...flags, ct }];
      /** The key's content type, undefined for none (SQLite says null, memory leaves it out). */
      const typeOf = (key: string, now = 1, s: Store = store) => s.entry(key, now)?.contentType ?? undefined;

      test('a set with a content type stores it; a set without one (or with other flags only) clears it', () => {
        write(typed('page', '<p>hi</p>', HTML));
        expect(typeOf('page')).toBe(HTML);
        expect(store.get('page', 1)).toEqual(b('<p>hi</p>'));
        expect(storedToBuffer(store.getStored('page', 1) as StoredBytes)).toEqual(b('<p>hi</p>'));
        write(set('page', 'plain'));
        expect(typeOf('page')).toBeUndefined();
        write(typed('page', '{}', 'application/json'));
        expect(typeOf('page')).toBe('application/json');
        write(['s', 'page', b('later'), { px: 5000 }]);
        expect(typeOf('page')).toBeUndefined();
        // A refused condition changes nothing, the type included.
        write(typed('page', 'x', 'text/plain'), typed('page', 'y', 'image/png', { nx: true }));
        expect([store.get('page', 1)?.toString(), typeOf('page')]).toEqual(['x', 'text/plain']);
        // SET with GET and KEEPTTL: the new type, the old value.
        expect(write(typed('page', 'z', 'text/css', { get: true, keep: true }))).toEqual([[true, b('x')]]);
        expect(typeOf('page')).toBe('text/css');
      });

      test('APPEND and SETRANGE keep it; EXPIRE, PERSIST and GETEX keep it; INCR and INCRBYFLOAT clear it', () => {
        write(typed('f', 'ab', 'text/plain'), ['a', 'f', b('cd')], ['r', 'f', 1, b('X')]);
        expect([store.get('f', 1)?.toString(), typeOf('f')]).toEqual(['aXcd', 'text/plain']);
        write(['e', 'f', 5000, null, 0], ['gx', 'f', null, 9000, false], ['e', 'f', null, null, 0], ['gx', 'f', 100, null, false]);
        expect(typeOf('f')).toBe('text/plain');
        write(typed('n', '5', 'text/plain'), ['i', 'n', '1']);
        expect([store.get('n', 1)?.toString(), typeOf('n')]).toEqual(['6', undefined]);
        write(typed('x', '1.5', 'text/plain'), ['f', 'x', '1']);
        expect([store.get('x', 1)?.toString(), typeOf('x')]).toEqual(['2.5', undefined]);
        // An append to a missing key makes one without a type.
        write(['a', 'new', b('v')]);
        expect(typeOf('new')).toBeUndefined();
      });

      test('RENAME and COPY carry it; DEL, GETDEL, a sweep and FLUSH take it with the key; a list never has one', () => {
        write(typed('a', '1', 'text/plain'), ['m', 'a', 'b', {}], ['m', 'b', 'c', { copy: true }]);
        expect([typeOf('a'), typeOf('b'), typeOf('c')]).toEqual([undefined, 'text/plain', 'text/plain']);
        write(['d', 'b'], set('b', 'again'));
        expect(typeOf('b')).toBeUndefined();
        write(['gd', 'c'], set('c', 'again'));
        expect(typeOf('c')).toBeUndefined();
        write(typed('t', 'short-lived', 'text/plain', { px: 10 }));
        store.apply([{ epoch: 7, seq: ++seq, time: 100, ops: [['x', 10]] }]);
        write(['a', 't', b('v')]);
        expect(typeOf('t')).toBeUndefined();
        write(typed('l', 'string', 'text/plain'), ['d', 'l'], ['L', 'l', [b('item')], false, false]);
        expect(store.entry('l', 1)).toMatchObject({ list: 1 });
        expect(typeOf('l')).toBeUndefined();
        // A typed SET over a list replaces it with a typed string.
        write(typed('l', 's', 'text/plain'));
        expect([store.typeOf('l', 1), typeOf('l')]).toEqual(['string', 'text/plain']);
        write(['F'], set('l', 'plain'));
        expect(typeOf('l')).toBeUndefined();
      });

      test('an invalid content type fails the whole group cleanly', () => {
        write(typed('k', 'old', 'text/plain'));
        const pos = store.position();
        for (const ct of ['', 'text', 'text/html;', 'a b/c', 'text/html; charset', `text/${'x'.repeat(251)}`, 'text/é', 42, true]) {
          expect(() => store.apply([{ epoch: 7, seq: seq + 1, time: 1, ops: [set('k', 'new'), ['s', 'k', b('v'), { ct }] as unknown as WriteOp] }])).toThrow(
            expect.objectContaining({ code: 'BAD_REQUEST' }),
          );
        }
        expect(store.position()).toEqual(pos);
        expect([store.get('k', 1)?.toString(), typeOf('k')]).toEqual(['old', 'text/plain']);
        // The longest accepted: 255 bytes.
        write(typed('k', 'v', `text/${'x'.repeat(250)}`));
        expect(typeOf('k')).toHaveLength(255);
      });

      test('a snapshot carries content types (only where a key has one) and load() restores them', () => {
        write(typed('a', '1', HTML), set('b', '2'), typed('c', '3', 'image/svg+xml', { px: 9000 }), ['L', 'q', [b('i')], false, false]);
        const snap = store.snapshot();
        // A change after the snapshot began is not in it.
        write(set('a', 'changed'));
        const entries = [];
        for (let chunk = snap.next(10, 1 << 20); chunk !== null; chunk = snap.next(10, 1 << 20)) entries.push(...chunk);
        expect(entries.map(([k, v, ...m]) => [k, Array.isArray(v) ? v.map(String) : v.toString(), ...m])).toEqual([
          ['a', '1', 1, 1, 0, HTML],
          ['b', '2', 1, 1, 0],
          ['c', '3', 1, 1, 9001, 'image/svg+xml'],
          ['q', ['i'], 1, 1, 0],
        ]);
        const copy = makeStore();
        try {
          copy.load(entries);
          expect([typeOf('a', 1, copy), typeOf('b', 1, copy), typeOf('c', 1, copy), typeOf('q', 1, copy)]).toEqual([HTML, undefined, 'image/svg+xml', undefined]);
          expect(copy.get('a', 1)).toEqual(b('1'));
          // An entry's type replaces what the key had; an entry without one clears it.
          copy.load([['a', b('x'), 2, 1, 0]]);
          expect(typeOf('a', 1, copy)).toBeUndefined();
          expect(() => copy.load([['a', b('x'), 2, 1, 0, 'not a type'] as never])).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
        } finally {
          copy.close();
        }
      });
    });

    describe('lists', () => {
      const push = (key: string, left: boolean, ...values: string[]): WriteOp => ['L', key, values.map(b), left, false];
      const pop = (keys: string | string[], count: number | null, left = true): WriteOp => ['P', Array.isArray(keys) ? keys : [keys], count, left];
      const items = (key: string, now = 1) => store.list(key, 0, -1, now).map((x) => x.toString());
      const wrong = expect.objectContaining({ error: 'WRONG_TYPE' });

      test('push left and right, pop from either end, in order; an emptied list is gone', () => {
        expect(write(push('q', false, 'a', 'b'), push('q', true, 'x', 'y'))).toEqual([2, 4]);
        expect(items('q')).toEqual(['y', 'x', 'a', 'b']);
        expect(store.listLength('q', 1)).toBe(4);
        expect(store.typeOf('q', 1)).toBe('list');
        expect(store.entry('q', 1)).toMatchObject({ version: seq, list: 4 });
        const [r] = write(pop('q', 1, true));
        expect(r).toEqual(['q', [b('y')], 3]);
        expect(write(pop('q', 2, false))).toEqual([['q', [b('b'), b('a')], 1]]);
        expect(items('q')).toEqual(['x']);
        expect(write(pop('q', 5))).toEqual([['q', [b('x')], 0]]);
        expect(store.has('q', 1)).toBe(false);
        expect(store.typeOf('q', 1)).toBeUndefined();
        expect(store.count()).toBe(0);
        expect(write(pop('q', null))).toEqual([null]);
      });

      test('a pop takes the first of its keys holding a list; count 0 takes nothing', () => {
        write(push('b', false, '1', '2'));
        expect(write(pop(['a', 'b', 'c'], null))).toEqual([['b', [b('1')], 1]]);
        expect(write(pop(['b'], 0))).toEqual([['b', [], 1]]);
        expect(store.listLength('b', 1)).toBe(1);
      });

      test('list ranges, indexes and binary items', () => {
        const bin = Buffer.from([0, 255, 10, 13, 0]);
        write(['L', 'l', [b('a'), bin, b('c'), Buffer.alloc(0)], false, false]);
        expect(store.list('l', 0, -1, 1)).toEqual([b('a'), bin, b('c'), Buffer.alloc(0)]);
        expect(store.list('l', -2, -1, 1)).toEqual([b('c'), Buffer.alloc(0)]);
        expect(store.list('l', 1, 1, 1)).toEqual([bin]);
        expect(store.list('l', 5, 10, 1)).toEqual([]);
        expect(store.list('l', -100, 0, 1)).toEqual([b('a')]);
        expect(store.list('none', 0, -1, 1)).toEqual([]);
        expect(store.listLength('none', 1)).toBe(0);
      });

      test('WRONG_TYPE both ways; SET and DEL replace or remove a list', () => {
        write(set('s', 'str'), push('l', false, 'a'));
        expect(() => store.get('l', 1)).toThrow(expect.objectContaining({ code: 'WRONG_TYPE' }));
        expect(() => store.getStored('l', 1)).toThrow(expect.objectContaining({ code: 'WRONG_TYPE' }));
        expect(() => store.listLength('s', 1)).toThrow(expect.objectContaining({ code: 'WRONG_TYPE' }));
        expect(() => store.list('s', 0, -1, 1)).toThrow(expect.objectContaining({ code: 'WRONG_TYPE' }));
        expect(write(push('s', true, 'x'), pop('s', null), ['i', 'l', '1'], ['a', 'l', b('x')], ['G', 'l'], ['gd', 'l'], ['s', 'l', b('v'), { get: true }])).toEqual([
          wrong, wrong, wrong, wrong, wrong, wrong, wrong,
        ]);
        expect(write(['L', 'nope', [b('x')], true, true])).toEqual([0]);
        expect(store.has('nope', 1)).toBe(false);
        expect(write(set('l', 'now a string'))).toEqual([true]);
        expect(store.get('l', 1)).toEqual(b('now a string'));
        write(push('l2', false, 'a', 'b'), del('l2'));
        expect(store.has('l2', 1)).toBe(false);
        write(push('l2', false, 'c'));
        expect(items('l2')).toEqual(['c']);
      });

      test('LREM, LTRIM, LSET and LMOVE', () => {
        write(push('l', false, 'a', 'x', 'b', 'x', 'c', 'x'));
        expect(write(['lr', 'l', 1, b('x')], ['lr', 'l', -1, b('x')])).toEqual([1, 1]);
        expect(items('l')).toEqual(['a', 'b', 'x', 'c']);
        expect(write(['lr', 'l', 0, b('nope')])).toEqual([0]);
        expect(write(['lt', 'l', 1, -2])).toEqual([true]);
        expect(items('l')).toEqual(['b', 'x']);
        expect(write(['ls', 'l', -1, b('y')], ['ls', 'l', 2, b('z')], ['ls', 'none', 0, b('z')])).toEqual([
          true,
          expect.objectContaining({ message: 'index out of range' }),
          expect.objectContaining({ error: 'NO_SUCH_KEY' }),
        ]);
        expect(write(['lm', 'l', 'm', true, false], ['lm', 'l', 'l', true, false])).toEqual([b('b'), b('y')]);
        expect([items('l'), items('m')]).toEqual([['y'], ['b']]);
        expect(write(['lt', 'l', 5, 10])).toEqual([true]);
        expect(store.has('l', 1)).toBe(false);
        expect(write(['lr', 'm', 0, b('b')])).toEqual([1]);
        expect(store.count()).toBe(0);
      });

      test('expiry applies to a list; a push keeps it; a push onto an expired list starts a new one', () => {
        store.apply([{ epoch: 1, seq: 1, time: 100, ops: [push('l', false, 'a'), ['e', 'l', 50, null, 0]] }]);
        store.apply([{ epoch: 1, seq: 2, time: 120, ops: [push('l', false, 'b')] }]);
        expect(store.entry('l', 120)).toMatchObject({ expires: 150, list: 2 });
        expect(store.listLength('l', 149)).toBe(2);
        expect(store.listLength('l', 150)).toBe(0);
        expect(store.apply([{ epoch: 1, seq: 3, time: 160, ops: [push('l', false, 'c')] }])).toEqual([[1]]);
        expect(store.entry('l', 160)).toMatchObject({ expires: 0, list: 1 });
        store.apply([{ epoch: 1, seq: 4, time: 170, ops: [['e', 'l', 10, null, 0]] }]);
        expect(store.apply([{ epoch: 1, seq: 5, time: 200, ops: [['x', 10]] }])).toEqual([[[['l'], 0]]]);
        expect(store.count()).toBe(0);
      });

      test('RENAME and COPY move lists with their expiry', () => {
        write(push('a', false, '1', '2'), ['e', 'a', null, 9000, 0], set('t', 'x'));
        expect(write(['m', 'a', 'b', { copy: true }], ['m', 'a', 't', {}])).toEqual([true, true]);
        expect([items('b'), items('t'), store.has('a', 1)]).toEqual([['1', '2'], ['1', '2'], false]);
        expect(store.entry('t', 1)?.expires).toBe(9000);
      });

      test('snapshots carry lists (long ones in pieces) and load() rebuilds them', () => {
        const many = Array.from({ length: 10000 }, (_, i) => `item-${i}`);
        write(set('a', 'str'), push('big', false, ...many), push('small', true, 'x', 'y'), ['e', 'small', null, 9000, 0]);
        const snap = store.snapshot();
        // Changes after the snapshot began are not in it.
        write(pop('big', 3), push('small', false, 'later'), push('new', false, 'n'));
        const entries = [];
        for (let c = snap.next(100, 64 * 1024); c !== null; c = snap.next(100, 64 * 1024)) {
          expect(c.length).toBeLessThanOrEqual(100);
          entries.push(...c);
        }
        expect(entries.filter((e) => e[0] === 'big').length).toBeGreaterThan(2);
        const copy = makeStore();
        try {
          copy.load(entries);
          expect(copy.list('big', 0, -1, 1).map(String)).toEqual(many);
          expect(copy.list('small', 0, -1, 1).map(String)).toEqual(['y', 'x']);
          expect(copy.entry('small', 1)).toMatchObject({ expires: 9000, list: 2 });
          expect(copy.get('a', 1)).toEqual(b('str'));
          expect(copy.has('new', 1)).toBe(false);
          // A first piece replaces what the key held.
          copy.load([['small', [b('z')], 3, 1, 0]]);
          expect(copy.list('small', 0, -1, 1).map(String)).toEqual(['z']);
        } finally {
          copy.close();
        }
      });

      test('a list survives FLUSH and a failed group changes nothing', () => {
        write(push('l', false, 'a'));
        expect(() =>
          store.apply([{ epoch: 7, seq: ++seq, time: 1, ops: [push('l', false, 'b'), ['P', [], 1, true] as unknown as WriteOp] }]),
        ).toThrow(KvndbError);
        expect(items('l')).toEqual(['a']);
        write(['F']);
        expect(store.count()).toBe(0);
        write(push('l', false, 'c'));
        expect(items('l')).toEqual(['c']);
      });
    });

    if (options.reopen) {
      const reopen = options.reopen;
      test('data and position survive close and reopen', () => {
        store.apply([
          { epoch: 12, seq: 1, time: 1, ops: [set('a', '1'), set('b', Buffer.from([0, 1, 2]))] },
          { epoch: 12, seq: 2, time: 1, ops: [del('a'), set('c', '3')] },
        ]);
        store.load([['d', b('4'), 1, 0, 0]]);
        store = reopen(store);
        expect(store.position()).toEqual({ epoch: 12, seq: 2 });
        expect(store.scan('', null, 10, 1)).toEqual(['b', 'c', 'd']);
        expect(store.get('b', 1)).toEqual(Buffer.from([0, 1, 2]));
      });

      test('versions, updated times, expiries and the router time survive close and reopen', () => {
        store.apply([{ epoch: 3, seq: 5, time: 1000, ops: [['s', 'a', b('1'), { px: 500 }], set('b', '2')] }]);
        store.apply([{ epoch: 3, seq: 6, time: 1200, ops: [['e', 'b', null, 9000, 0]] }]);
        store.load([['c', b('3'), 4, 900, 2000]]);
        store = reopen(store);
        expect(store.time()).toBe(1200);
        const m = (k: string) => {
          const e = store.entry(k, 1200);
          return e && [e.version, e.updated, e.expires];
        };
        expect([m('a'), m('b'), m('c')]).toEqual([[5, 1000, 1500], [6, 1200, 9000], [4, 900, 2000]]);
        expect([store.count(), store.expiringCount(), store.nextExpiry()]).toEqual([3, 3, 1500]);
        expect(store.apply([{ epoch: 3, seq: 7, time: 2000, ops: [['x', 10]] }])).toEqual([[[['a', 'c'], 9000]]]);
      });

      test('an interrupted group leaves the previous data and position after reopen', () => {
        store.apply([{ epoch: 4, seq: 9, time: 1, ops: [set('a', 'before')] }]);
        expect(() =>
          store.apply([
            { epoch: 4, seq: 10, time: 1, ops: [set('a', 'after'), set('b', 'x')] },
            { epoch: 4, seq: 11, time: 1, ops: [set('c', 'y'), ['s', 'c', null] as unknown as WriteOp] },
          ]),
        ).toThrow(KvndbError);
        store = reopen(store);
        expect(store.position()).toEqual({ epoch: 4, seq: 9 });
        expect(store.get('a', 1)).toEqual(b('before'));
        expect(store.scan('', null, 10, 1)).toEqual(['a']);
      });

      test('content types survive close and reopen', () => {
        store.apply([{ epoch: 4, seq: 9, time: 1, ops: [['s', 'a', b('1'), { ct: 'text/plain' }], set('b', '2')] }]);
        store.load([['c', b('3'), 4, 1, 0, 'application/json']]);
        store = reopen(store);
        expect(['a', 'b', 'c'].map((k) => store.entry(k, 1)?.contentType ?? undefined)).toEqual(['text/plain', undefined, 'application/json']);
      });

      test('lists survive close and reopen', () => {
        store.apply([{ epoch: 4, seq: 9, time: 1, ops: [['L', 'q', [b('a'), b('b')], false, false], ['P', ['q'], 1, true]] }]);
        store = reopen(store);
        expect(store.list('q', 0, -1, 1)).toEqual([b('b')]);
        store.apply([{ epoch: 4, seq: 10, time: 1, ops: [['L', 'q', [b('c')], true, false]] }]);
        expect(store.list('q', 0, -1, 1)).toEqual([b('c'), b('b')]);
      });
    }
  });
}
