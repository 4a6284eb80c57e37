/**
 * A linearizability checker for a key/value store seen as one register per key.
 *
 * The search is Wing & Gong's, with Lowe's memoization, as Porcupine implements it: the
 * history's call and return events are laid out in time order in a linked list; the search
 * linearizes a pending call (removing its call and return events from the list), or, on
 * reaching the return of an operation it has not linearized yet, backtracks. A cache of
 * (set of linearized operations, register state) pairs already explored cuts the search to
 * polynomial size on real histories. Histories are checked per key (P-compositionality: a
 * history is linearizable iff its restriction to each key is).
 *
 * The history model:
 * - read: returns a value, or null for a missing key. A read that failed is dropped: it
 *   observed nothing and changed nothing.
 * - write: sets a value. Values are unique per write (the campaign guarantees it), which
 *   gives cheap direct checks and error messages that name the write a read saw.
 * - delete: removes the key; optionally records whether the key existed.
 * - outcome ok: it took effect exactly once between invocation and completion.
 *   failed: it definitely did not take effect (NO_REPLICAS, BAD_REQUEST, ...).
 *   indeterminate (TIMEOUT, CONNECTION_CLOSED, SHUTTING_DOWN on a write): it may take
 *   effect at any point after its invocation, or never. It is modelled as completing at
 *   +infinity; a write linearized after every other operation changes nothing anyone
 *   observed, which is the same as never taking effect.
 *
 * Before the search, direct checks look for the common anomalies (a value never written, a
 * stale read, a lost write) and explain them in terms of the operations involved; the search
 * then decides the rest and, on failure, names the first operation that no linearization of
 * what came before it can explain, with the register states that were possible there.
 */

export type OpKind = 'read' | 'write' | 'delete';
export type Outcome = 'ok' | 'failed' | 'indeterminate';

export interface Op {
  /** Unique within the whole history. */
  id: number;
  /** Which client (connection) issued it; only for messages. */
  client: number;
  key: string;
  kind: OpKind;
  /** write: the value written. read (ok): the value returned, null when the key was missing. */
  value?: string | null;
  /** delete (ok): whether the key existed, when known. */
  existed?: boolean;
  /** Invocation time (ms, any monotonic clock shared by the whole history). */
  invoke: number;
  /** Completion time; ignored for indeterminate operations (treated as +infinity). */
  complete: number;
  outcome: Outcome;
  /** Error code or message for failed / indeterminate operations. */
  error?: string;
  /** Free-form tag, e.g. 'final' for the verification reads at the end of a run. */
  tag?: string;
}

export interface Violation {
  key: string;
  /** Short name of the anomaly: stale-read, lost-write, value-never-written, ... */
  kind: string;
  message: string;
  /** The operation that cannot be explained. */
  op?: Op;
  /** Operations that explain why (the write a read saw, the write it missed, concurrent ops). */
  related: Op[];
}

export interface KeyResult {
  key: string;
  ok: boolean;
  /** True when the search stopped at its budget without an answer (ok is then true only if
   * the direct checks passed, and `inconclusive` says the search did not finish). */
  inconclusive: boolean;
  violations: Violation[];
  ops: number;
  steps: number;
}

export interface CheckResult {
  ok: boolean;
  keys: KeyResult[];
  violations: Violation[];
  inconclusiveKeys: string[];
}

export interface CheckOptions {
  /** Search steps per key before giving up as inconclusive (default 5 million). */
  maxSteps?: number;
  /** The register's state before the history (default null: every key missing). */
  initial?: Map<string, string | null>;
}

/** Check a whole history, key by key. */
export function checkHistory(history: Op[], options: CheckOptions = {}): CheckResult {
  const byKey = new Map<string, Op[]>();
  for (const op of history) {
    let list = byKey.get(op.key);
    if (!list) byKey.set(op.key, (list = []));
    list.push(op);
  }
  const keys: KeyResult[] = [];
  for (const [key, ops] of [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    keys.push(checkKey(key, ops, { ...options, allOps: history }));
  }
  return {
    ok: keys.every((k) => k.ok),
    keys,
    violations: keys.flatMap((k) => k.violations),
    inconclusiveKeys: keys.filter((k) => k.inconclusive).map((k) => k.key),
  };
}

/** Check the operations on one key. */
export function checkKey(key: string, ops: Op[], options: CheckOptions & { allOps?: Op[] } = {}): KeyResult {
  const initial = options.initial?.get(key) ?? null;
  const violations = directChecks(key, ops, initial, options.allOps);
  if (violations.length > 0) {
    return { key, ok: false, inconclusive: false, violations, ops: ops.length, steps: 0 };
  }
  const search = searchKey(key, ops, initial, options.maxSteps ?? 5_000_000);
  return {
    key,
    ok: search.violation === null,
    inconclusive: search.inconclusive,
    violations: search.violation ? [search.violation] : [],
    ops: ops.length,
    steps: search.steps,
  };
}

// ---------------------------------------------------------------------------------------
// Direct checks: necessary conditions with precise explanations.

function end(op: Op): number {
  return op.outcome === 'indeterminate' ? Infinity : op.complete;
}

/**
 * Sound (never reject a linearizable history) but incomplete checks:
 * - a read returns a value that was never written to this key, or whose write failed, or
 *   whose write was invoked only after the read completed;
 * - a stale read: the read saw write w, but another write or delete x began after w
 *   completed and completed before the read began, so x must come between them;
 * - a lost write / stale null: the read saw no value although a write completed before the
 *   read began and no delete can be placed between that write and the read.
 */
export function directChecks(key: string, ops: Op[], initial: string | null = null, allOps?: Op[]): Violation[] {
  const out: Violation[] = [];
  const writesByValue = new Map<string, Op>();
  for (const op of ops) if (op.kind === 'write' && typeof op.value === 'string') writesByValue.set(op.value, op);
  // Operations that change the register and definitely happened, by completion time, with a
  // running maximum of their invocation times: "the latest-starting overwrite that finished
  // before time t" is one binary search.
  const changes = ops.filter((o) => (o.kind === 'write' || o.kind === 'delete') && o.outcome === 'ok').sort((a, b) => a.complete - b.complete);
  const maxInvoke: number[] = [];
  const argMax: Op[] = [];
  for (let i = 0; i < changes.length; i++) {
    if (i === 0 || changes[i].invoke > maxInvoke[i - 1]) {
      maxInvoke.push(changes[i].invoke);
      argMax.push(changes[i]);
    } else {
      maxInvoke.push(maxInvoke[i - 1]);
      argMax.push(argMax[i - 1]);
    }
  }
  /** The change with the greatest invocation among those completed strictly before t. */
  const latestBefore = (t: number): Op | undefined => {
    let lo = 0;
    let hi = changes.length; // first index with complete >= t
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (changes[mid].complete < t) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? undefined : argMax[lo - 1];
  };
  const okWrites = changes.filter((o) => o.kind === 'write');
  const deletes = ops.filter((o) => o.kind === 'delete' && o.outcome !== 'failed');

  for (const r of ops) {
    if (r.kind !== 'read' || r.outcome !== 'ok') continue;
    const what = r.tag === 'final' ? 'final read' : 'read';
    if (r.value !== null && r.value !== undefined) {
      const w = writesByValue.get(r.value);
      if (!w) {
        if (r.value === initial) continue;
        const elsewhere = allOps?.find((o) => o.kind === 'write' && o.value === r.value && o.key !== key);
        out.push({
          key,
          kind: 'value-never-written',
          message:
            `${what} ${fmt(r)} returned ${JSON.stringify(r.value)}, which was never written to ${JSON.stringify(key)}` +
            (elsewhere ? ` (it was written to ${JSON.stringify(elsewhere.key)} by ${fmt(elsewhere)})` : ''),
          op: r,
          related: elsewhere ? [elsewhere] : [],
        });
        continue;
      }
      if (w.outcome === 'failed') {
        out.push({
          key,
          kind: 'failed-write-visible',
          message: `${what} ${fmt(r)} returned the value of ${fmt(w)}, which failed with ${w.error ?? 'an error'} (reported as not applied)`,
          op: r,
          related: [w],
        });
        continue;
      }
      if (r.complete < w.invoke) {
        out.push({
          key,
          kind: 'read-from-future',
          message: `${what} ${fmt(r)} completed before ${fmt(w)}, whose value it returned, was invoked`,
          op: r,
          related: [w],
        });
        continue;
      }
      const x = latestBefore(r.invoke);
      if (x && x !== w && x.invoke > end(w)) {
        out.push({
          key,
          kind: r.tag === 'final' ? 'lost-write' : 'stale-read',
          message:
            `${what} ${fmt(r)} returned the value of ${fmt(w)}, but ${fmt(x)} began after that write ` +
            `completed and completed before the read began: the read should see ${describeChange(x)} or later`,
          op: r,
          related: [w, x],
        });
      }
    } else {
      // Null: the last change before the read must be a delete (or nothing, if initially missing).
      const lastWrite = latestWriteBefore(okWrites, r.invoke);
      if (!lastWrite) continue;
      // Every write that completed before the read began is ordered before it; a delete must
      // come after the latest-starting of them and before the read ends.
      const saving = deletes.find((d) => end(d) > lastWrite.invoke && d.invoke < r.complete);
      if (!saving) {
        out.push({
          key,
          kind: 'lost-write',
          message:
            `${what} ${fmt(r)} found ${JSON.stringify(key)} missing, but ${fmt(lastWrite)} completed before the read ` +
            `began and no delete can be ordered between them: the acknowledged write was lost`,
          op: r,
          related: [lastWrite],
        });
      }
    }
  }
  return out;
}

function latestWriteBefore(okWrites: Op[], t: number): Op | undefined {
  let best: Op | undefined;
  for (const w of okWrites) if (w.complete < t && (!best || w.invoke > best.invoke)) best = w;
  return best;
}

function describeChange(op: Op): string {
  return op.kind === 'delete' ? 'the delete' : `${JSON.stringify(op.value)}`;
}

// ---------------------------------------------------------------------------------------
// The search.

interface Entry {
  /** Index into the op array; -1 for the sentinel head. */
  op: number;
  isCall: boolean;
  /** For a call entry, its return entry. */
  match: Entry | null;
  time: number;
  prev: Entry | null;
  next: Entry | null;
  /** Position in time order, for "how far did the search get". */
  pos: number;
}

type State = string | null;

/** One step of the register: does `op` fit `state`, and what state follows. */
function step(op: Op, state: State): [boolean, State] {
  switch (op.kind) {
    case 'write':
      return [true, op.value as string];
    case 'delete':
      if (op.outcome === 'ok' && op.existed !== undefined && op.existed !== (state !== null)) return [false, state];
      return [true, null];
    case 'read':
      return [op.value === state, state];
  }
}

interface SearchResult {
  violation: Violation | null;
  inconclusive: boolean;
  steps: number;
}

/**
 * Prepare the operations for the search: failed reads and failed writes are dropped (they
 * observed and changed nothing); indeterminate reads likewise. An indeterminate write whose
 * value nobody read is dropped too when no delete reports that the key existed: placing it
 * last is always possible and changes nothing observed.
 */
export function prepare(ops: Op[]): Op[] {
  const read = new Set<string>();
  for (const o of ops) if (o.kind === 'read' && o.outcome === 'ok' && typeof o.value === 'string') read.add(o.value);
  const existedMatters = ops.some((o) => o.kind === 'delete' && o.outcome === 'ok' && o.existed === true);
  return ops.filter((o) => {
    if (o.outcome === 'failed') return false;
    if (o.kind === 'read') return o.outcome === 'ok';
    if (o.outcome === 'indeterminate' && !existedMatters) {
      if (o.kind === 'write' && !read.has(o.value as string)) return false;
    }
    return true;
  });
}

function searchKey(key: string, allOps: Op[], initial: State, maxSteps: number): SearchResult {
  const ops = prepare(allOps);
  const n = ops.length;
  if (n === 0) return { violation: null, inconclusive: false, steps: 0 };

  // Events in time order; calls before returns at equal times (concurrent, the permissive reading).
  const events: Entry[] = [];
  for (let i = 0; i < n; i++) {
    const o = ops[i];
    const ret: Entry = { op: i, isCall: false, match: null, time: end(o), prev: null, next: null, pos: 0 };
    const call: Entry = { op: i, isCall: true, match: ret, time: o.invoke, prev: null, next: null, pos: 0 };
    events.push(call, ret);
  }
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? 0 : a.isCall ? -1 : 1) || a.op - b.op);
  const head: Entry = { op: -1, isCall: false, match: null, time: -Infinity, prev: null, next: null, pos: -1 };
  let prev = head;
  events.forEach((e, i) => {
    e.pos = i;
    e.prev = prev;
    prev.next = e;
    prev = e;
  });

  // Linearized set as a bitset, with a Zobrist hash kept incrementally.
  const words = (n + 31) >>> 5;
  let linearized: Uint32Array = new Uint32Array(words);
  let hash = 0;
  const zobrist = new Int32Array(n);
  let seed = 0x9e3779b9 ^ n;
  for (let i = 0; i < n; i++) {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    zobrist[i] = t ^ (t >>> 14);
  }
  const cache = new Map<number, { bits: Uint32Array; state: State }[]>();
  const seen = (bits: Uint32Array, h: number, state: State): boolean => {
    const bucket = cache.get(h);
    if (!bucket) {
      cache.set(h, [{ bits, state }]);
      return false;
    }
    for (const c of bucket) {
      if (c.state !== state) continue;
      let same = true;
      for (let w = 0; w < words; w++) {
        if (c.bits[w] !== bits[w]) {
          same = false;
          break;
        }
      }
      if (same) return true;
    }
    bucket.push({ bits, state });
    return false;
  };

  const lift = (e: Entry) => {
    e.prev!.next = e.next;
    if (e.next) e.next.prev = e.prev;
    const m = e.match!;
    m.prev!.next = m.next;
    if (m.next) m.next.prev = m.prev;
  };
  const unlift = (e: Entry) => {
    const m = e.match!;
    m.prev!.next = m;
    if (m.next) m.next.prev = m;
    e.prev!.next = e;
    if (e.next) e.next.prev = e;
  };

  const calls: { entry: Entry; state: State; bits: Uint32Array; hash: number }[] = [];
  let state: State = initial;
  let entry: Entry | null = head.next;
  let steps = 0;
  // The furthest return event the search reached without being able to linearize its op.
  let stuckPos = -1;
  let stuckOp = -1;
  const stuckStates = new Set<State>();
  let stuckLinearized: Uint32Array | null = null;

  while (head.next !== null) {
    if (++steps > maxSteps) {
      return { violation: null, inconclusive: true, steps };
    }
    if (entry === null) break; // cannot happen: the last event is always a return
    if (entry.isCall) {
      const o = ops[entry.op];
      const [ok, next] = step(o, state);
      if (ok) {
        const bits = linearized.slice();
        bits[entry.op >>> 5] |= 1 << (entry.op & 31);
        const h = hash ^ zobrist[entry.op];
        if (!seen(bits, h, next)) {
          calls.push({ entry, state, bits: linearized, hash });
          state = next;
          linearized = bits;
          hash = h;
          lift(entry);
          entry = head.next;
          continue;
        }
      }
      entry = entry.next;
    } else {
      // The return of an operation not yet linearized: everything before it has been tried.
      if (entry.pos > stuckPos) {
        stuckPos = entry.pos;
        stuckOp = entry.op;
        stuckStates.clear();
        stuckLinearized = linearized.slice();
      }
      if (entry.pos === stuckPos) stuckStates.add(state);
      const top = calls.pop();
      if (!top) break;
      entry = top.entry;
      state = top.state;
      linearized = top.bits;
      hash = top.hash;
      unlift(entry);
      entry = entry.next;
    }
  }
  if (head.next === null) return { violation: null, inconclusive: false, steps };
  return { violation: explain(key, ops, stuckOp, stuckStates, stuckLinearized), inconclusive: false, steps };
}

function explain(key: string, ops: Op[], stuck: number, states: Set<State>, linearized: Uint32Array | null): Violation {
  const op = ops[stuck];
  const possible = [...states].map((s) => (s === null ? 'missing' : JSON.stringify(s)));
  const concurrent = ops.filter((o) => o !== op && o.invoke < end(op) && end(o) > op.invoke);
  const before = ops
    .filter((o) => end(o) <= op.invoke)
    .sort((a, b) => end(a) - end(b))
    .slice(-4);
  const what =
    op.kind === 'read'
      ? `returned ${op.value === null ? 'missing' : JSON.stringify(op.value)}`
      : op.kind === 'delete'
        ? `reported existed=${String(op.existed)}`
        : 'was acknowledged';
  const writer = op.kind === 'read' && op.value != null ? ops.find((o) => o.kind === 'write' && o.value === op.value) : undefined;
  const count = linearized ? linearized.reduce((s, w) => s + popcount(w), 0) : 0;
  return {
    key,
    kind: 'not-linearizable',
    message:
      `${fmt(op)} ${what}, but no order of the operations before it allows that: after linearizing ${count} ` +
      `operations the key could only be ${possible.join(' or ') || '(nothing)'}` +
      (writer ? `; the value was written by ${fmt(writer)}` : '') +
      `\n  concurrent: ${concurrent.map(fmt).join('; ') || 'none'}` +
      `\n  just before: ${before.map(fmt).join('; ') || 'none'}`,
    op,
    related: [...(writer ? [writer] : []), ...concurrent, ...before],
  };
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** One operation, for messages: `#12 c3 write k1="v" [100.1, 102.5] ok`. */
export function fmt(op: Op): string {
  const body =
    op.kind === 'write'
      ? `write ${op.key}=${JSON.stringify(op.value)}`
      : op.kind === 'delete'
        ? `delete ${op.key}${op.existed === undefined ? '' : ` (existed ${op.existed})`}`
        : `read ${op.key}` + (op.outcome === 'ok' ? ` -> ${op.value === null ? 'missing' : JSON.stringify(op.value)}` : '');
  const done = op.outcome === 'indeterminate' ? 'inf' : op.complete.toFixed(1);
  const outcome = op.outcome === 'ok' ? 'ok' : `${op.outcome}${op.error ? ` (${op.error})` : ''}`;
  return `#${op.id} c${op.client}${op.tag ? ` ${op.tag}` : ''} ${body} [${op.invoke.toFixed(1)}, ${done}] ${outcome}`;
}

/** A human-readable report of a failed check. */
export function formatViolations(result: CheckResult, limit = 5): string {
  const lines: string[] = [];
  for (const v of result.violations.slice(0, limit)) lines.push(`key ${JSON.stringify(v.key)}: ${v.kind}: ${v.message}`);
  if (result.violations.length > limit) lines.push(`... and ${result.violations.length - limit} more`);
  if (result.inconclusiveKeys.length) lines.push(`search inconclusive (step budget) for keys: ${result.inconclusiveKeys.join(', ')}`);
  return lines.join('\n');
}
