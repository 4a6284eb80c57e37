/**
 * Self-tests of the linearizability checker: hand-made histories it must reject (stale
 * read, lost write, value never written, read of a deleted key) and accept (overlapping
 * operations in either order, indeterminate writes that show up late or never), and random
 * histories generated from a real sequential execution.
 */
import { checkHistory, directChecks, formatViolations, type Op, type OpKind, type Outcome } from './linearizability';

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
