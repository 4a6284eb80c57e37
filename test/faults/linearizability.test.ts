/**
 * Self-tests of the linearizability checker: hand-made histories it must reject (stale
 * read, lost write, value never written, read of a deleted key) and accept (overlapping
 * operations in either order, indeterminate writes that show up late or never), and random
 * histories generated from a real sequential execution.
 */
import { checkHistory, counterChecks, directChecks, formatViolations, versionChecks, type Op, type OpKind, type Outcome } from './linearizability';

let nextId = 0;
function op(
  client: number,
  kind: OpKind,
  value: string | null | undefined,
  invoke: number,
  complete: number,
  outcome: Outcome = 'ok',
  extra: Partial<Op> = {},
): Op {
  return { id: nextId++, client, key: 'k', kind, value, invoke, complete, outcome, ...extra };
}
const w = (c: number, v: string, a: number, b: number, outcome: Outcome = 'ok') => op(c, 'write', v, a, b, outcome);
const r = (c: number, v: string | null, a: number, b: number, extra: Partial<Op> = {}) => op(c, 'read', v, a, b, 'ok', extra);
const d = (c: number, a: number, b: number, outcome: Outcome = 'ok', existed?: boolean) =>
  op(c, 'delete', undefined, a, b, outcome, existed === undefined ? {} : { existed });

function accepts(history: Op[]): void {
  const result = checkHistory(history);
  if (!result.ok) throw new Error(`expected linearizable, got:\n${formatViolations(result)}`);
  expect(result.inconclusiveKeys).toEqual([]);
}

function rejects(history: Op[], kind?: string): string {
  const result = checkHistory(history);
  expect(result.ok).toBe(false);
  if (kind) expect(result.violations.map((v) => v.kind)).toContain(kind);
  return formatViolations(result);
}

/** The same history without the direct checks: only the search decides. */
function searchRejects(history: Op[]): string {
  // Direct checks are sound, so a history they reject is rejected; what matters here is that
  // the search on its own also rejects it (directChecks returning nothing forces the search).
  const result = checkHistory(history);
  expect(result.ok).toBe(false);
  return formatViolations(result);
}

describe('rejects non-linearizable histories', () => {
  test('a stale read: an older value read after a newer write completed', () => {
    const msg = rejects([w(1, 'a', 0, 10), w(1, 'b', 20, 30), r(2, 'a', 40, 50)], 'stale-read');
    expect(msg).toContain('"b"');
    expect(msg).toContain('read k -> "a"');
  });

  test('a lost write: an acknowledged write never visible, a later read sees the value before it', () => {
    const msg = rejects([w(1, 'a', 0, 10), w(2, 'b', 20, 30), r(3, 'a', 40, 50, { tag: 'final' })], 'lost-write');
    expect(msg).toContain('final');
  });

  test('a lost write on an empty key: acknowledged, then read as missing', () => {
    rejects([w(1, 'a', 0, 10), r(2, null, 20, 30)], 'lost-write');
  });

  test('a value never written', () => {
    const msg = rejects([w(1, 'a', 0, 10), r(2, 'zzz', 20, 30)], 'value-never-written');
    expect(msg).toContain('"zzz"');
  });

  test('a value written to another key', () => {
    const other: Op = { ...w(1, 'x', 0, 5), key: 'other' };
    const msg = rejects([other, r(2, 'x', 20, 30)], 'value-never-written');
    expect(msg).toContain('written to "other"');
  });

  test('a deleted key read with its old value after the delete completed', () => {
    rejects([w(1, 'a', 0, 10), d(1, 20, 30), r(2, 'a', 40, 50)], 'stale-read');
  });

  test('a failed write made visible', () => {
    rejects([w(1, 'a', 0, 10, 'failed'), r(2, 'a', 20, 30)], 'failed-write-visible');
  });

  test('a read returning a value before its write was invoked', () => {
    rejects([r(2, 'a', 0, 10), w(1, 'a', 20, 30)], 'read-from-future');
  });

  test('the search alone: two reads that disagree on the order of two concurrent writes', () => {
    // a and b overlap, so either order is fine, but not both: r1 sees b then a, r2 sees a then b.
    const h = [w(1, 'a', 0, 100), w(2, 'b', 0, 100), r(3, 'b', 110, 120), r(3, 'a', 130, 140)];
    expect(directChecks('k', h)).toEqual([]); // nothing a direct check can see
    const msg = searchRejects(h);
    expect(msg).toContain('not-linearizable');
    expect(msg).toContain('#'); // names the operation
  });

  test('the search alone: a value seen, then the older one again, with every op overlapping a write', () => {
    const h = [w(1, 'a', 0, 10), w(2, 'b', 5, 100), r(3, 'b', 20, 30), r(4, 'a', 40, 50)];
    expect(directChecks('k', h)).toEqual([]);
    searchRejects(h);
  });

  test('the search alone: a delete that reports the key missing right after an acknowledged write', () => {
    const h = [w(1, 'a', 0, 10), d(2, 20, 30, 'ok', false)];
    searchRejects(h);
  });

  test('an indeterminate write cannot make a read go back in time', () => {
    // c was maybe applied; the reads still may not flip b -> a.
    rejects([w(1, 'a', 0, 10), w(1, 'b', 20, 30), w(2, 'c', 25, 0, 'indeterminate'), r(3, 'b', 40, 50), r(3, 'a', 60, 70)]);
  });

  test('the report names the key, the offending op and the ops around it', () => {
    const h = [w(1, 'a', 0, 100), w(2, 'b', 0, 100), r(3, 'b', 110, 120), r(3, 'a', 130, 140)];
    const result = checkHistory(h);
    const v = result.violations[0];
    expect(v.key).toBe('k');
    expect(v.op).toBeDefined();
    expect(v.related.length).toBeGreaterThan(0);
    expect(v.message).toMatch(/could only be/);
  });
});

describe('accepts linearizable histories', () => {
  test('sequential writes and reads', () => {
    accepts([r(1, null, 0, 1), w(1, 'a', 2, 3), r(1, 'a', 4, 5), w(1, 'b', 6, 7), r(2, 'b', 8, 9), d(1, 10, 11, 'ok', true), r(2, null, 12, 13)]);
  });

  test('concurrent overlapping writes, observed in either order', () => {
    accepts([w(1, 'a', 0, 100), w(2, 'b', 0, 100), r(3, 'a', 110, 120), r(3, 'a', 130, 140)]);
    accepts([w(1, 'a', 0, 100), w(2, 'b', 0, 100), r(3, 'b', 110, 120), r(3, 'b', 130, 140)]);
  });

  test('a read overlapping a write may see the old or the new value', () => {
    accepts([w(1, 'a', 0, 10), w(2, 'b', 20, 40), r(3, 'a', 25, 30), r(4, 'b', 26, 31), r(3, 'b', 45, 50)]);
  });

  test('a read overlapping a delete may see the value or nothing', () => {
    accepts([w(1, 'a', 0, 10), d(2, 20, 40), r(3, 'a', 25, 30), r(4, null, 26, 31)]);
  });

  test('an indeterminate write that shows up late', () => {
    accepts([w(1, 'a', 0, 10), w(2, 'b', 20, 30, 'indeterminate'), r(3, 'a', 40, 50), r(3, 'a', 60, 70), r(3, 'b', 1000, 1010)]);
  });

  test('an indeterminate write that never shows up', () => {
    accepts([w(1, 'a', 0, 10), w(2, 'b', 20, 30, 'indeterminate'), r(3, 'a', 40, 50), r(3, 'a', 1000, 1010, { tag: 'final' })]);
  });

  test('an indeterminate delete that takes effect late, or never', () => {
    accepts([w(1, 'a', 0, 10), d(2, 20, 30, 'indeterminate'), r(3, 'a', 40, 50), r(3, null, 60, 70)]);
    accepts([w(1, 'a', 0, 10), d(2, 20, 30, 'indeterminate'), r(3, 'a', 40, 50), r(3, 'a', 60, 70)]);
  });

  test('failed writes and failed reads are ignored', () => {
    accepts([w(1, 'a', 0, 10), w(2, 'b', 20, 30, 'failed'), op(3, 'read', undefined, 35, 36, 'failed'), r(3, 'a', 40, 50)]);
  });

  test('many indeterminate writes with deletes that report existence', () => {
    const h: Op[] = [];
    for (let i = 0; i < 12; i++) h.push(w(i, `x${i}`, i * 10, 0, 'indeterminate'));
    h.push(d(20, 200, 210, 'ok', true), r(21, null, 220, 230), w(22, 'z', 240, 250), r(21, 'z', 260, 270), r(23, 'x3', 280, 290));
    accepts(h);
  });
});

// ---------------------------------------------------------------------------------------
// Random histories: a real sequential execution with random overlaps.

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Runs `count` operations on a few keys through a real map, one at a time, each at its
 * linearization point; every op's invocation is some time before that point and its
 * completion some time after, so operations overlap at random. Some writes are reported
 * indeterminate (some of those are then not applied at all), some failed (not applied).
 */
function randomHistory(seed: number, count: number, keys = 3): Op[] {
  const rnd = mulberry32(seed);
  const store = new Map<string, string>();
  const out: Op[] = [];
  let t = 0;
  let n = 0;
  for (let i = 0; i < count; i++) {
    t += 1 + rnd() * 5;
    const key = `k${Math.floor(rnd() * keys)}`;
    const invoke = t - rnd() * 20;
    const complete = t + rnd() * 20;
    const roll = rnd();
    const base = { id: n++, client: Math.floor(rnd() * 5), key, invoke, complete };
    if (roll < 0.45) {
      out.push({ ...base, kind: 'read', value: store.get(key) ?? null, outcome: 'ok' });
    } else if (roll < 0.85) {
      const value = `s${seed}-${i}`;
      const fate = rnd();
      if (fate < 0.05) {
        out.push({ ...base, kind: 'write', value, outcome: 'failed', error: 'NO_REPLICAS' });
      } else if (fate < 0.12) {
        // Indeterminate: applied now, or never.
        if (rnd() < 0.5) store.set(key, value);
        out.push({ ...base, kind: 'write', value, outcome: 'indeterminate', error: 'TIMEOUT' });
      } else {
        store.set(key, value);
        out.push({ ...base, kind: 'write', value, outcome: 'ok' });
      }
    } else {
      const existed = store.has(key);
      store.delete(key);
      out.push({ ...base, kind: 'delete', existed, outcome: 'ok' });
    }
  }
  return out;
}

describe('random histories', () => {
  test('histories of a real sequential execution with random overlap are always accepted', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const h = randomHistory(seed, 150);
      const result = checkHistory(h);
      if (!result.ok || result.inconclusiveKeys.length) {
        throw new Error(`seed ${seed}: expected linearizable:\n${formatViolations(result)}`);
      }
    }
  });

  test('a mutated read value is usually rejected', () => {
    let rejected = 0;
    let tried = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const h = randomHistory(seed, 150);
      const rnd = mulberry32(seed * 7919);
      const reads = h.filter((o) => o.kind === 'read');
      if (reads.length === 0) continue;
      const victim = reads[Math.floor(rnd() * reads.length)];
      // Replace the value by another value written to the same key (or by missing).
      const candidates = [null, ...h.filter((o) => o.kind === 'write' && o.key === victim.key).map((o) => o.value as string)].filter(
        (v) => v !== victim.value,
      );
      victim.value = candidates[Math.floor(rnd() * candidates.length)];
      tried++;
      const result = checkHistory(h);
      expect(result.inconclusiveKeys).toEqual([]);
      if (!result.ok) rejected++;
    }
    // Overlaps make some mutations legal; most are not.
    expect(rejected / tried).toBeGreaterThan(0.6);
  });

  test('a long history with a few hundred operations per key is checked quickly', () => {
    const h = randomHistory(4242, 6000, 4);
    const started = Date.now();
    const result = checkHistory(h);
    expect(result.ok).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

// ---------------------------------------------------------------------------------------
// Versions and conditional writes.

/** getEntry: the value and the version (0 when missing). */
const ge = (c: number, v: string | null, version: number, a: number, b: number, extra: Partial<Op> = {}) =>
  op(c, 'read', v, a, b, 'ok', { version, call: 'getEntry', ...extra });
/** put with ifVersion, acknowledged: applied (with its version) or not. */
const cas = (c: number, v: string, ifVersion: number, a: number, b: number, result: number | false) =>
  op(c, 'write', v, a, b, 'ok', { ifVersion, call: 'put', applied: result !== false, ...(result === false ? {} : { version: result }) });
const casMaybe = (c: number, v: string, ifVersion: number, a: number) => op(c, 'write', v, a, 0, 'indeterminate', { ifVersion, call: 'put', error: 'TIMEOUT' });
const setNx = (c: number, v: string, a: number, b: number, applied: boolean) => op(c, 'write', v, a, b, 'ok', { ifAbsent: true, applied, call: 'setIfAbsent' });

describe('versions and compare-and-set: accepted', () => {
  test('a read-then-CAS cycle: the CAS applies on the version read and reads see its version', () => {
    accepts([w(1, 'a', 0, 10), ge(2, 'a', 5, 20, 30), cas(2, 'b', 5, 40, 50, 9), ge(3, 'b', 9, 60, 70), ge(3, 'b', 9, 80, 90, { tag: 'final' })]);
  });

  test('two concurrent CAS on the same version: one applies, the other does not', () => {
    accepts([ge(1, null, 0, 0, 5), cas(1, 'a', 0, 10, 50, 3), cas(2, 'b', 0, 10, 50, false), ge(3, 'a', 3, 60, 70)]);
    accepts([w(1, 'a', 0, 5), ge(1, 'a', 2, 6, 8), cas(1, 'b', 2, 10, 50, false), cas(2, 'c', 2, 10, 50, 7), ge(3, 'c', 7, 60, 70)]);
  });

  test('a CAS that is not applied because a concurrent write changed the version', () => {
    accepts([w(1, 'a', 0, 5), ge(1, 'a', 2, 6, 8), w(2, 'x', 9, 30), cas(1, 'b', 2, 10, 40, false), ge(3, 'x', 4, 50, 60)]);
  });

  test('an indeterminate CAS that took effect, or did not', () => {
    accepts([w(1, 'a', 0, 5), ge(1, 'a', 2, 6, 8), casMaybe(1, 'b', 2, 10), ge(3, 'b', 6, 100, 110)]);
    accepts([w(1, 'a', 0, 5), ge(1, 'a', 2, 6, 8), casMaybe(1, 'b', 2, 10), ge(3, 'a', 2, 100, 110, { tag: 'final' })]);
  });

  test('an indeterminate CAS whose version was overtaken changes nothing', () => {
    accepts([w(1, 'a', 0, 5), ge(1, 'a', 2, 6, 8), w(2, 'x', 9, 12), casMaybe(1, 'b', 2, 20), ge(3, 'x', 3, 100, 110)]);
  });

  test('set ifAbsent: applied on a missing key, refused on an existing one, applied again after a delete', () => {
    accepts([setNx(1, 'a', 0, 10, true), setNx(2, 'b', 20, 30, false), r(3, 'a', 40, 50), d(1, 60, 70, 'ok', true), setNx(2, 'c', 80, 90, true), r(3, 'c', 100, 110)]);
  });

  test('versions of writes overlapping in time may come in either order', () => {
    accepts([w(1, 'a', 0, 50), w(2, 'b', 0, 50), ge(3, 'a', 60, 70, 80), ge(3, 'a', 60, 90, 100)]);
    accepts([w(1, 'a', 0, 50), w(2, 'b', 0, 50), ge(3, 'b', 4, 10, 20), ge(3, 'a', 9, 60, 70)]);
  });
});

describe('versions and compare-and-set: rejected', () => {
  test('a CAS that succeeded on a stale version', () => {
    const msg = rejects([w(1, 'a', 0, 10), ge(1, 'a', 3, 11, 12), w(2, 'b', 20, 30), ge(2, 'b', 6, 31, 32), cas(1, 'c', 3, 40, 50, 8)], 'stale-cas');
    expect(msg).toContain('ifVersion 3');
    expect(msg).toContain('version 6');
  });

  test('a CAS on a stale version after an unversioned overwrite (the write it named was overtaken)', () => {
    rejects([w(1, 'a', 0, 10), ge(1, 'a', 3, 11, 12), w(2, 'b', 20, 30), cas(1, 'c', 3, 40, 50, 8)], 'stale-cas');
  });

  test('two concurrent CAS on the same version that both applied: a lost update, only the search sees it', () => {
    const h = [w(1, 'a', 0, 5), ge(1, 'a', 2, 6, 8), cas(1, 'b', 2, 10, 50, 7), cas(2, 'c', 2, 10, 50, 8), ge(3, 'c', 8, 60, 70)];
    expect([...directChecks('k', h), ...versionChecks('k', h)]).toEqual([]);
    expect(searchRejects(h)).toContain('not-linearizable');
  });

  test('a CAS refused although nothing changed the version it named', () => {
    const h = [w(1, 'a', 0, 5), ge(1, 'a', 2, 6, 8), cas(1, 'b', 2, 10, 20, false), ge(3, 'a', 2, 30, 40)];
    expect(searchRejects(h)).toMatch(/not applied/);
  });

  test('ifAbsent applied while the key existed', () => {
    rejects([w(1, 'a', 0, 10), setNx(2, 'b', 20, 30, true)], 'stale-cas');
  });

  test('ifAbsent refused on a key that was missing', () => {
    searchRejects([ge(1, null, 0, 0, 5), setNx(2, 'b', 10, 20, false), r(3, null, 30, 40)]);
  });

  test('a version going back', () => {
    const msg = rejects([w(1, 'a', 0, 10), ge(2, 'a', 7, 20, 30), w(1, 'b', 35, 40), ge(2, 'b', 5, 50, 60)], 'version-went-back');
    expect(msg).toContain('version 7');
  });

  test('a put answering a version lower than one seen before it began', () => {
    rejects([w(1, 'a', 0, 10), ge(2, 'a', 7, 20, 30), op(1, 'write', 'b', 40, 50, 'ok', { call: 'put', version: 4 })], 'version-went-back');
  });

  test('a put answering one version and reads seeing its value with another', () => {
    rejects([op(1, 'write', 'a', 0, 10, 'ok', { call: 'put', version: 4 }), ge(2, 'a', 5, 20, 30)], 'version-mismatch');
  });

  test('two writes with the same version', () => {
    rejects([w(1, 'a', 0, 10), ge(2, 'a', 4, 20, 30), w(1, 'b', 40, 50), ge(2, 'b', 4, 60, 70)], 'version-reused');
  });

  test('a missing key with a version', () => {
    rejects([ge(2, null, 4, 20, 30)], 'version-of-missing-key');
  });

  test('the search alone: versions against the real-time order of the writes', () => {
    // a completed before b began, so a's version must be the lower one.
    const h = [w(1, 'a', 0, 10), w(2, 'b', 20, 30), ge(3, 'a', 9, 0, 100), ge(4, 'b', 8, 0, 100)];
    expect([...directChecks('k', h), ...versionChecks('k', h)]).toEqual([]);
    searchRejects(h);
  });

  test('a value a refused CAS wrote is never visible', () => {
    rejects([w(1, 'a', 0, 5), cas(1, 'b', 99, 10, 20, false), r(3, 'b', 30, 40)], 'failed-write-visible');
  });
});

// ---------------------------------------------------------------------------------------
// Counters.

const inc = (c: number, by: number, a: number, b: number, result?: number, outcome: Outcome = 'ok') =>
  op(c, 'incr', undefined, a, b, outcome, { by, ...(result === undefined ? {} : { result }), ...(outcome === 'indeterminate' ? { error: 'TIMEOUT' } : {}) });
const cr = (c: number, v: string | null, a: number, b: number, extra: Partial<Op> = {}) => op(c, 'read', v, a, b, 'ok', extra);

function counterResult(history: Op[]) {
  const result = checkHistory(history);
  expect(result.keys[0].model).toBe('counter');
  return result;
}

describe('counters: accepted', () => {
  test('sequential increments and reads', () => {
    const result = counterResult([cr(1, null, 0, 1), inc(1, 2, 2, 3, 2), inc(2, 3, 4, 5, 5), cr(1, '5', 6, 7), inc(1, 1, 8, 9, 6), cr(3, '6', 10, 11, { tag: 'final' })]);
    expect(result.ok).toBe(true);
    expect(result.boundedKeys).toEqual([]);
  });

  test('concurrent increments answered in either order', () => {
    expect(counterResult([inc(1, 1, 0, 50, 1), inc(2, 2, 0, 50, 3), cr(3, '3', 60, 70)]).ok).toBe(true);
    expect(counterResult([inc(1, 1, 0, 50, 3), inc(2, 2, 0, 50, 2), cr(3, '3', 60, 70)]).ok).toBe(true);
  });

  test('an indeterminate increment that applied, or did not', () => {
    expect(counterResult([inc(1, 1, 0, 10, 1), inc(2, 4, 20, 0, undefined, 'indeterminate'), inc(1, 1, 30, 40, 6), cr(3, '6', 50, 60, { tag: 'final' })]).ok).toBe(true);
    expect(counterResult([inc(1, 1, 0, 10, 1), inc(2, 4, 20, 0, undefined, 'indeterminate'), inc(1, 1, 30, 40, 2), cr(3, '2', 50, 60, { tag: 'final' })]).ok).toBe(true);
  });

  test('failed increments are ignored', () => {
    expect(counterResult([inc(1, 1, 0, 10, 1), inc(2, 4, 20, 30, undefined, 'failed'), cr(3, '1', 50, 60, { tag: 'final' })]).ok).toBe(true);
  });
});

test('counters: past its step budget the search leaves the bounded checks to decide, and says so', () => {
  const h = [inc(1, 1, 0, 10, 1), ...[2, 3, 4, 5, 6].map((by, i) => inc(2 + i, by, 20, 0, undefined, 'indeterminate')), inc(1, 1, 30, 40, 6), cr(3, '9', 50, 60, { tag: 'final' })];
  const bounded = checkHistory(h, { maxCounterSteps: 5 });
  expect(bounded.ok).toBe(true);
  expect(bounded.boundedKeys).toEqual(['k']);
  const full = checkHistory(h);
  expect(full.ok).toBe(true);
  expect(full.boundedKeys).toEqual([]);
  // The bounded checks still catch a final value no subset explains.
  h[h.length - 1].value = '23';
  expect(checkHistory(h, { maxCounterSteps: 5 }).violations.map((v) => v.kind)).toContain('increment-from-nowhere');
});

describe('counters: rejected', () => {
  function counterRejects(history: Op[], kind?: string): string {
    const result = counterResult(history);
    expect(result.ok).toBe(false);
    if (kind) expect(result.violations.map((v) => v.kind)).toContain(kind);
    return formatViolations(result);
  }

  test('a lost increment: the final value misses an acknowledged one', () => {
    const msg = counterRejects([inc(1, 1, 0, 10, 1), inc(2, 1, 20, 30, 2), cr(3, '1', 40, 50, { tag: 'final' })], 'lost-increment');
    expect(msg).toContain('acknowledged');
  });

  test('a lost increment: two concurrent increments answered with the same value', () => {
    counterRejects([inc(1, 1, 0, 50, 1), inc(2, 1, 0, 50, 1)], 'lost-increment');
  });

  test('an increment counted twice', () => {
    counterRejects([inc(1, 1, 0, 10, 1), inc(2, 1, 20, 30, 3)], 'increment-from-nowhere');
  });

  test('a final value no subset of the indeterminate increments explains', () => {
    counterRejects(
      [inc(1, 1, 0, 10, 1), inc(1, 2, 20, 30, 3), inc(2, 5, 5, 0, undefined, 'indeterminate'), cr(3, '7', 100, 110, { tag: 'final' })],
      'increment-from-nowhere',
    );
  });

  test('a counter going back between reads', () => {
    counterRejects([inc(1, 5, 0, 10, 5), inc(2, 1, 0, 100, 6), cr(3, '6', 20, 30), cr(3, '5', 40, 50)], 'counter-went-back');
  });

  test('the search alone: two concurrent increments whose answers no order gives', () => {
    const h = [inc(1, 1, 0, 10, 1), inc(2, 2, 0, 10, 2)];
    expect(counterChecks('k', h)).toEqual([]);
    counterRejects(h, 'not-linearizable');
  });
});

// ---------------------------------------------------------------------------------------
// Random versioned histories: a real sequential execution with seqs for versions.

/**
 * Like randomHistory, with what the campaign's clients do: getEntry reads, puts answering
 * their version, compare-and-set on a version read before (current or stale), set ifAbsent,
 * and counters on their own keys. Every write takes the next seq, applied or not, as the
 * router's does.
 */
function randomVersionedHistory(seed: number, count: number): Op[] {
  const rnd = mulberry32(seed);
  const store = new Map<string, { value: string; version: number }>();
  const counters = new Map<string, number>();
  const seenVersions: number[] = [0];
  const out: Op[] = [];
  let t = 0;
  let seq = 0;
  for (let i = 0; i < count; i++) {
    t += 1 + rnd() * 5;
    const invoke = t - rnd() * 20;
    const complete = t + rnd() * 20;
    const fate = rnd();
    const outcome: Outcome = fate < 0.04 ? 'failed' : fate < 0.1 ? 'indeterminate' : 'ok';
    const happens = outcome === 'ok' || (outcome === 'indeterminate' && rnd() < 0.5);
    const base = { id: i, client: Math.floor(rnd() * 5), invoke, complete, outcome, ...(outcome === 'ok' ? {} : { error: outcome === 'failed' ? 'NO_REPLICAS' : 'TIMEOUT' }) };
    const roll = rnd();
    if (roll < 0.25) {
      const key = `n${Math.floor(rnd() * 2)}`;
      if (rnd() < 0.75) {
        const by = 1 + Math.floor(rnd() * 5);
        const op: Op = { ...base, key, kind: 'incr', by };
        if (happens) {
          seq++;
          counters.set(key, (counters.get(key) ?? 0) + by);
          if (outcome === 'ok') op.result = counters.get(key);
        }
        out.push(op);
      } else {
        const v = counters.get(key);
        out.push({ ...base, key, kind: 'read', outcome: 'ok', error: undefined, value: v === undefined ? null : String(v) });
      }
      continue;
    }
    const key = `k${Math.floor(rnd() * 2)}`;
    const cur = store.get(key);
    const value = `s${seed}-${i}`;
    if (roll < 0.5) {
      out.push({ ...base, key, kind: 'read', outcome: 'ok', error: undefined, value: cur?.value ?? null, version: cur?.version ?? 0 });
      if (cur) seenVersions.push(cur.version);
    } else if (roll < 0.65) {
      const op: Op = { ...base, key, kind: 'write', value, call: 'put' };
      if (happens) {
        seq++;
        store.set(key, { value, version: seq });
        if (outcome === 'ok') op.version = seq;
      }
      out.push(op);
    } else if (roll < 0.85) {
      // The version read before: usually the current one, sometimes a stale one.
      const ifVersion = rnd() < 0.7 ? (cur?.version ?? 0) : seenVersions[Math.floor(rnd() * seenVersions.length)];
      const op: Op = { ...base, key, kind: 'write', value, ifVersion, call: 'put' };
      if (happens) {
        seq++;
        const applied = (cur?.version ?? 0) === ifVersion;
        if (applied) store.set(key, { value, version: seq });
        if (outcome === 'ok') Object.assign(op, applied ? { applied, version: seq } : { applied });
      }
      out.push(op);
    } else if (roll < 0.93) {
      const op: Op = { ...base, key, kind: 'write', value, ifAbsent: true, call: 'setIfAbsent' };
      if (happens) {
        seq++;
        if (!cur) store.set(key, { value, version: seq });
        if (outcome === 'ok') op.applied = !cur;
      }
      out.push(op);
    } else {
      const op: Op = { ...base, key, kind: 'delete' };
      if (happens) {
        seq++;
        if (outcome === 'ok') op.existed = store.has(key);
        store.delete(key);
      }
      out.push(op);
    }
  }
  return out;
}

describe('random versioned histories', () => {
  test('histories of a real sequential execution are always accepted', () => {
    for (let seed = 1; seed <= 150; seed++) {
      const result = checkHistory(randomVersionedHistory(seed, 150));
      if (!result.ok || result.inconclusiveKeys.length) throw new Error(`seed ${seed}: expected linearizable:\n${formatViolations(result)}`);
    }
  });

  test('a mutated version, CAS answer or increment result is usually rejected', () => {
    let rejected = 0;
    let tried = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const h = randomVersionedHistory(seed, 150);
      const rnd = mulberry32(seed * 104729);
      const victims = h.filter(
        (o) => o.outcome === 'ok' && ((o.kind === 'read' && o.version !== undefined && o.version > 0) || o.applied !== undefined || o.kind === 'incr'),
      );
      if (victims.length === 0) continue;
      const victim = victims[Math.floor(rnd() * victims.length)];
      if (victim.kind === 'incr') victim.result = (victim.result as number) - 1 - Math.floor(rnd() * 3);
      else if (victim.kind === 'read') victim.version = (victim.version as number) - 1 - Math.floor(rnd() * 3);
      else if (victim.applied) Object.assign(victim, { applied: false, version: undefined });
      else victim.applied = true;
      tried++;
      if (!checkHistory(h).ok) rejected++;
    }
    expect(rejected / tried).toBeGreaterThan(0.7);
  });
});
