/**
 * A linearizability checker for a key/value store: each key is a register with a version,
 * or a counter.
 *
 * The search is Wing & Gong's, with Lowe's memoization, as Porcupine implements it: the
 * history's call and return events are laid out in time order in a linked list; the search
 * linearizes a pending call (removing its call and return events from the list), or, on
 * reaching the return of an operation it has not linearized yet, backtracks. A cache of
 * (set of linearized operations, state) pairs already explored cuts the search to
 * polynomial size on real histories. Histories are checked per key (P-compositionality: a
 * history is linearizable iff its restriction to each key is).
 *
 * The history model of a register key:
 * - read: returns a value, or null for a missing key, and (getEntry) the key's version. A
 *   read that failed is dropped: it observed nothing and changed nothing.
 * - write: sets a value. Values are unique per write (the campaign guarantees it), which
 *   gives cheap direct checks and error messages that name the write a read saw. A write
 *   may be conditional: on the key's version (`ifVersion`, compare-and-set; 0 means "must
 *   not exist") or on its absence (`ifAbsent`); an acknowledged conditional write says
 *   whether it was `applied`, and a put the `version` it gave the key.
 * - delete: removes the key; optionally records whether the key existed.
 * - versions: the version of a key is the seq of the write that set it, so each write that
 *   took effect has one version, unique in the history, and versions grow in the order of
 *   the writes. A write's version is known when its put reported it or a read saw its value
 *   with a version; the search linearizes writes of known version in version order, and a
 *   compare-and-set applies only on the state set by the write that had the version it names.
 * - outcome ok: it took effect exactly once between invocation and completion.
 *   failed: it definitely did not take effect (NO_REPLICAS, BAD_REQUEST, ...).
 *   indeterminate (TIMEOUT, CONNECTION_CLOSED, SHUTTING_DOWN on a write): it may take
 *   effect at any point after its invocation, or never. It is modelled as completing at
 *   +infinity; a write linearized after every other operation changes nothing anyone
 *   observed, which is the same as never taking effect.
 *
 * A counter key (any key with an incr in the history) is an integer, missing until the
 * first increment: incr adds `by` and returns the sum, reads return it. Besides the search
 * (bounded: indeterminate increments multiply the states it must try), sound direct checks
 * bound every observed value by the increments that must and may precede it, require
 * observations to grow in real time, and the final value to be the acknowledged increments
 * plus some subset of the indeterminate ones.
 *
 * Before the search, direct checks look for the common anomalies (a value never written, a
 * stale read, a lost write, a version that goes back, a compare-and-set on a stale version,
 * a lost increment) and explain them in terms of the operations involved; the search then
 * decides the rest and, on failure, names the first operation that no linearization of what
 * came before it can explain, with the states that were possible there.
 */

export type OpKind = 'read' | 'write' | 'delete' | 'incr';
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
  /**
   * read (ok, getEntry): the key's version, 0 when it was missing; undefined when the read did
   * not ask. write (ok, applied, put): the version the write gave the key.
   */
  version?: number;
  /** write: compare-and-set on the key's version (0: the key must not exist). */
  ifVersion?: number;
  /** write: only when the key does not exist (set with ifAbsent). */
  ifAbsent?: boolean;
  /** A conditional write (ok): whether its condition held and it was applied. */
  applied?: boolean;
  /** incr: the increment. */
  by?: number;
  /** incr (ok): the counter's value after the increment, as returned. */
  result?: number;
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
  /** The client call that made it (get, getEntry, set, put, setIfAbsent, del, incr), for counts and messages. */
  call?: string;
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
  /** The model the key was checked against. */
  model: 'register' | 'counter';
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
  /** Register keys whose search ran out of budget: their check is incomplete. */
  inconclusiveKeys: string[];
  /**
   * Counter keys whose search ran out of budget: they passed the bounded checks (every
   * observation within the increments that must and may precede it, growing in real time,
   * the final value a possible sum), which the design accepts as the counter's check.
   */
  boundedKeys: string[];
}

export interface CheckOptions {
  /** Search steps per key before giving up as inconclusive (default 5 million). */
  maxSteps?: number;
  /** Search steps per counter key (default 1 million): past them the bounded checks stand. */
  maxCounterSteps?: number;
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
    inconclusiveKeys: keys.filter((k) => k.inconclusive && k.model === 'register').map((k) => k.key),
    boundedKeys: keys.filter((k) => k.inconclusive && k.model === 'counter').map((k) => k.key),
  };
}

/** Check the operations on one key: a counter when it was ever incremented, else a register. */
export function checkKey(key: string, ops: Op[], options: CheckOptions & { allOps?: Op[] } = {}): KeyResult {
  if (ops.some((o) => o.kind === 'incr')) return checkCounterKey(key, ops, options.maxCounterSteps ?? 1_000_000);
  const initial = options.initial?.get(key) ?? null;
  const violations = [...directChecks(key, ops, initial, options.allOps), ...versionChecks(key, ops)];
  if (violations.length > 0) {
    return { key, model: 'register', ok: false, inconclusive: false, violations, ops: ops.length, steps: 0 };
  }
  const search = searchKey(key, prepare(ops), registerModel(ops, initial), options.maxSteps ?? 5_000_000);
  return {
    key,
    model: 'register',
    ok: search.violation === null,
    inconclusive: search.inconclusive,
    violations: search.violation ? [search.violation] : [],
    ops: ops.length,
    steps: search.steps,
  };
}

/** Check a counter key: the bounded direct checks, then the search within its budget. */
export function checkCounterKey(key: string, ops: Op[], maxSteps = 1_000_000): KeyResult {
  const violations = counterChecks(key, ops);
  if (violations.length > 0) {
    return { key, model: 'counter', ok: false, inconclusive: false, violations, ops: ops.length, steps: 0 };
  }
  const search = searchKey(key, prepareCounter(ops), counterModel, maxSteps);
  return {
    key,
    model: 'counter',
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

/** Acknowledged and, for a conditional write, applied: it changed the key between its call and return. */
function tookEffect(op: Op): boolean {
  return op.outcome === 'ok' && op.applied !== false;
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
  // "The latest-starting overwrite that finished before time t".
  const latestBefore = latestChangeBefore(ops);
  const okWrites = ops.filter((o) => o.kind === 'write' && tookEffect(o));
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
      if (w.outcome === 'failed' || (w.outcome === 'ok' && w.applied === false)) {
        const why = w.outcome === 'failed' ? `failed with ${w.error ?? 'an error'}` : 'answered that its condition did not hold';
        out.push({
          key,
          kind: 'failed-write-visible',
          message: `${what} ${fmt(r)} returned the value of ${fmt(w)}, which ${why} (reported as not applied)`,
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

/**
 * "The latest-starting change that finished before time t" as one binary search: `changes`
 * (operations that definitely took effect) by completion time, with a running maximum of
 * their invocation times.
 */
function latestChangeBefore(ops: Op[]): (t: number) => Op | undefined {
  const changes = ops.filter((o) => (o.kind === 'write' || o.kind === 'delete') && tookEffect(o)).sort((a, b) => a.complete - b.complete);
  const argMax: Op[] = [];
  for (let i = 0; i < changes.length; i++) argMax.push(i === 0 || changes[i].invoke > argMax[i - 1].invoke ? changes[i] : argMax[i - 1]);
  return (t) => {
    const i = countBefore(changes, t, (o) => o.complete);
    return i === 0 ? undefined : argMax[i - 1];
  };
}

/** How many of `sorted` (ascending by `at`) have at(o) < t. */
function countBefore<T>(sorted: T[], t: number, at: (o: T) => number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (at(sorted[mid]) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Observations of a version (a getEntry read of an existing key, a put's answer), by completion, with the running maximum. */
function versionHighWater(observations: Op[]): (t: number) => Op | undefined {
  const sorted = [...observations].sort((a, b) => a.complete - b.complete);
  const argMax: Op[] = [];
  for (let i = 0; i < sorted.length; i++) {
    argMax.push(i === 0 || (sorted[i].version as number) > (argMax[i - 1].version as number) ? sorted[i] : argMax[i - 1]);
  }
  /** The observation of the highest version among those completed strictly before t. */
  return (t) => {
    const i = countBefore(sorted, t, (o) => o.complete);
    return i === 0 ? undefined : argMax[i - 1];
  };
}

/**
 * Version checks, sound like the direct checks: a write has one version (what a put answered
 * is what reads of its value see) and no two writes share one; a missing key has none; a
 * version never goes back for an operation that begins after it was seen; a compare-and-set
 * that applied found the version it named, which a change or an observation of a higher
 * version completed before it began rules out.
 */
export function versionChecks(key: string, ops: Op[]): Violation[] {
  const out: Violation[] = [];
  const writesByValue = new Map<string, Op>();
  for (const op of ops) if (op.kind === 'write' && typeof op.value === 'string') writesByValue.set(op.value, op);
  const seenAs = new Map<Op, Op>();
  const byVersion = new Map<number, Op>();
  const observations: Op[] = [];
  const observe = (w: Op, version: number, by: Op) => {
    observations.push(by);
    const prior = seenAs.get(w);
    if (prior && prior.version !== version) {
      out.push({
        key,
        kind: 'version-mismatch',
        message: `${fmt(by)} saw the value of ${fmt(w)} with version ${version}, but ${fmt(prior)} saw it with version ${prior.version}: a write gives one version`,
        op: by,
        related: [w, prior],
      });
      return;
    }
    if (!prior) seenAs.set(w, by);
    const other = byVersion.get(version);
    if (other && other !== w) {
      out.push({
        key,
        kind: 'version-reused',
        message: `${fmt(by)} saw version ${version} on the value of ${fmt(w)}, but that version belongs to ${fmt(other)}: versions are seqs and never repeat`,
        op: by,
        related: [w, other],
      });
      return;
    }
    byVersion.set(version, w);
  };
  for (const o of ops) {
    if (o.version === undefined) continue;
    if (o.kind === 'write' && tookEffect(o)) observe(o, o.version, o);
    else if (o.kind === 'read' && o.outcome === 'ok') {
      if (typeof o.value === 'string') {
        const w = writesByValue.get(o.value);
        if (w) observe(w, o.version, o); // a value never written is directChecks' finding
      } else if (o.version !== 0) {
        out.push({ key, kind: 'version-of-missing-key', message: `${fmt(o)} found the key missing but reported version ${o.version}`, op: o, related: [] });
      }
    }
  }
  const highest = versionHighWater(observations);
  for (const o of observations) {
    const h = highest(o.invoke);
    const v = o.version as number;
    if (h && (h.version as number) > v + (o.kind === 'write' ? -1 : 0)) {
      out.push({
        key,
        kind: 'version-went-back',
        message:
          `${fmt(o)} ${o.kind === 'write' ? 'gave the key' : 'saw'} version ${v}, but ${fmt(h)} had already seen version ${h.version} ` +
          `before it began: versions grow in the order of the writes`,
        op: o,
        related: [h],
      });
    }
  }
  // Compare-and-set that applied.
  const latest = latestChangeBefore(ops);
  const okWrites = ops.filter((o) => o.kind === 'write' && tookEffect(o));
  const deletes = ops.filter((o) => o.kind === 'delete' && o.outcome !== 'failed');
  for (const c of ops) {
    if (c.kind !== 'write' || !tookEffect(c) || (c.ifVersion === undefined && !c.ifAbsent)) continue;
    const expected = c.ifAbsent ? 0 : (c.ifVersion as number);
    if (expected > 0) {
      const h = highest(c.invoke);
      const named = byVersion.get(expected);
      const x = latest(c.invoke);
      if (h && (h.version as number) > expected) {
        out.push({
          key,
          kind: 'stale-cas',
          message: `${fmt(c)} applied on version ${expected}, but ${fmt(h)} had seen version ${h.version} before it began: the compare-and-set succeeded on a stale version`,
          op: c,
          related: [h, ...(named ? [named] : [])],
        });
      } else if (named && x && x !== named && x.invoke > end(named)) {
        out.push({
          key,
          kind: 'stale-cas',
          message:
            `${fmt(c)} applied on version ${expected}, set by ${fmt(named)}, but ${fmt(x)} began after that write completed ` +
            `and completed before the compare-and-set began: it succeeded on a stale version`,
          op: c,
          related: [named, x],
        });
      }
    } else {
      // "Must not exist": the latest write completed before it needs a delete after it.
      const lastWrite = latestWriteBefore(okWrites.filter((w) => w !== c), c.invoke);
      if (lastWrite && !deletes.some((d) => end(d) > lastWrite.invoke && d.invoke < c.complete)) {
        out.push({
          key,
          kind: 'stale-cas',
          message:
            `${fmt(c)} applied as if the key did not exist, but ${fmt(lastWrite)} completed before it began and no delete ` +
            `can be ordered between them`,
          op: c,
          related: [lastWrite],
        });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Counters.

/** A counter observation's value: an incr's result, a read's number (missing is 0). */
function counterValue(o: Op): number {
  if (o.kind === 'incr') return o.result as number;
  return o.value === null || o.value === undefined ? 0 : Number(o.value);
}

/**
 * The bounded counter checks, sound for any linearizable history of increments and reads:
 * - a value read or returned is no less than the increments acknowledged before the
 *   operation began (plus its own), and no more than every increment invoked before it
 *   completed (acknowledged or not) could make it;
 * - with positive increments the counter only grows: acknowledged results are distinct,
 *   and a value is at least any value seen before the operation began (plus its own
 *   increment);
 * - the final value is the acknowledged increments plus some subset of the indeterminate ones.
 */
export function counterChecks(key: string, ops: Op[]): Violation[] {
  const out: Violation[] = [];
  if (ops.some((o) => (o.kind === 'write' || o.kind === 'delete') && o.outcome !== 'failed')) {
    // Sets and deletes on a counter key are outside these bounds: the search alone decides.
    return out;
  }
  const incrs = ops.filter((o) => o.kind === 'incr' && o.outcome !== 'failed');
  const acked = incrs.filter((o) => o.outcome === 'ok').sort((a, b) => a.complete - b.complete);
  const unacked = incrs.filter((o) => o.outcome === 'indeterminate');
  const byInvoke = [...incrs].sort((a, b) => a.invoke - b.invoke);
  const ackedSum = prefixSums(acked);
  const allSum = prefixSums(byInvoke);
  const observations = ops.filter((o) => o.outcome === 'ok' && (o.kind === 'incr' || o.kind === 'read'));
  for (const o of observations) {
    const v = counterValue(o);
    if (!Number.isSafeInteger(v)) {
      out.push({ key, kind: 'counter-not-a-number', message: `${fmt(o)} gave ${JSON.stringify(o.kind === 'incr' ? o.result : o.value)}, not an integer`, op: o, related: [] });
      continue;
    }
    const own = o.kind === 'incr' ? (o.by as number) : 0;
    const mustBefore = countBefore(acked, o.invoke, (x) => x.complete);
    const lower = ackedSum[mustBefore] + own;
    // Invoked no later than o completed: each may be linearized before o (o itself included).
    const mayBefore = countBefore(byInvoke, o.complete + 1e-9, (x) => x.invoke);
    const upper = allSum[mayBefore];
    if (v < lower) {
      out.push({
        key,
        kind: 'lost-increment',
        message:
          `${fmt(o)} ${o.kind === 'incr' ? 'returned' : 'read'} ${v}, but the ${mustBefore} increments acknowledged before it began ` +
          `add up to ${ackedSum[mustBefore]}${own ? ` (and its own is ${own})` : ''}: an acknowledged increment was lost`,
        op: o,
        related: acked.slice(Math.max(0, mustBefore - 3), mustBefore),
      });
    } else if (v > upper) {
      out.push({
        key,
        kind: 'increment-from-nowhere',
        message: `${fmt(o)} gave ${v}, but every increment invoked before it completed adds up to ${upper}: an increment counted twice or invented`,
        op: o,
        related: [],
      });
    }
  }
  if (incrs.every((o) => (o.by as number) > 0)) {
    const results = new Map<number, Op>();
    for (const o of acked) {
      const prior = results.get(o.result as number);
      if (prior) {
        out.push({
          key,
          kind: 'lost-increment',
          message: `${fmt(o)} and ${fmt(prior)} both returned ${o.result}: with positive increments one of them was lost`,
          op: o,
          related: [prior],
        });
      } else results.set(o.result as number, o);
    }
    // Observations only grow in real time.
    const sorted = [...observations].sort((a, b) => a.complete - b.complete);
    const argMax: Op[] = [];
    for (let i = 0; i < sorted.length; i++) argMax.push(i === 0 || counterValue(sorted[i]) > counterValue(argMax[i - 1]) ? sorted[i] : argMax[i - 1]);
    for (const o of observations) {
      const i = countBefore(sorted, o.invoke, (x) => x.complete);
      if (i === 0) continue;
      const h = argMax[i - 1];
      const need = counterValue(h) + (o.kind === 'incr' ? (o.by as number) : 0);
      if (counterValue(o) < need) {
        out.push({
          key,
          kind: 'counter-went-back',
          message: `${fmt(o)} gave ${counterValue(o)}, but ${fmt(h)} had seen ${counterValue(h)} before it began${o.kind === 'incr' ? ` and it added ${o.by}` : ''}`,
          op: o,
          related: [h],
        });
      }
    }
  }
  // The final value: every acknowledged increment plus some of the indeterminate ones.
  const total = ackedSum[acked.length];
  const maybe = unacked.reduce((s, o) => s + Math.max(0, o.by as number), 0);
  if (unacked.every((o) => (o.by as number) > 0) && maybe <= 1_000_000) {
    const reachable = new Uint8Array(maybe + 1);
    reachable[0] = 1;
    for (const o of unacked) for (let s = maybe - (o.by as number); s >= 0; s--) if (reachable[s]) reachable[s + (o.by as number)] = 1;
    for (const f of ops.filter((o) => o.tag === 'final' && o.kind === 'read' && o.outcome === 'ok')) {
      const extra = counterValue(f) - total;
      if (!(extra >= 0 && extra <= maybe && reachable[extra])) {
        out.push({
          key,
          kind: extra < 0 ? 'lost-increment' : 'increment-from-nowhere',
          message:
            `${fmt(f)} read ${counterValue(f)}, but the ${acked.length} acknowledged increments add up to ${total} and the ` +
            `${unacked.length} indeterminate ones (${unacked.map((o) => o.by).join(', ') || 'none'}) cannot make up the difference ${extra}`,
          op: f,
          related: [],
        });
      }
    }
  }
  return out;
}

function prefixSums(ops: Op[]): number[] {
  const sums = [0];
  for (const o of ops) sums.push(sums[sums.length - 1] + (o.by as number));
  return sums;
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

/** A register's value (null: missing) or a counter's (null: missing). */
type State = string | number | null;

/**
 * What the search checks operations against. `maxVersion` is the highest version of a write
 * linearized so far (0: none known): writes of known version must come in version order.
 */
interface Model {
  initial: State;
  /** Does `op` fit `state`, and what state and highest version follow. */
  step(op: Op, state: State, maxVersion: number): [boolean, State, number];
}

/**
 * The register with versions. A write's version is known from its put's answer or from a
 * read that saw its value with a version (versionChecks makes sure these agree), so a
 * compare-and-set names a write: it applies exactly when that write set the current state.
 */
function registerModel(ops: Op[], initial: string | null): Model {
  const versionOf = new Map<string, number>();
  const valueOfVersion = new Map<number, string>();
  for (const o of ops) {
    if (o.version === undefined || typeof o.value !== 'string') continue;
    if ((o.kind === 'write' && tookEffect(o)) || (o.kind === 'read' && o.outcome === 'ok')) {
      versionOf.set(o.value, o.version);
      valueOfVersion.set(o.version, o.value);
    }
  }
  /** Whether a write's condition holds on `state`; undefined when the versions seen cannot tell. */
  const holds = (op: Op, state: State): boolean | undefined => {
    if (op.ifAbsent) return state === null;
    if (op.ifVersion === undefined) return true;
    if (op.ifVersion === 0 || state === null) return op.ifVersion === 0 && state === null;
    const named = valueOfVersion.get(op.ifVersion);
    if (named !== undefined) return state === named;
    const v = versionOf.get(state as string);
    return v === undefined ? undefined : v === op.ifVersion;
  };
  return {
    initial,
    step(op, state, maxVersion) {
      switch (op.kind) {
        case 'write': {
          const cond = holds(op, state);
          if (op.outcome === 'ok' && op.applied === false) return [cond !== true, state, maxVersion];
          if (op.outcome === 'ok' && cond === false) return [false, state, maxVersion];
          // An indeterminate conditional write takes effect where its condition holds.
          if (cond === false) return [true, state, maxVersion];
          const v = versionOf.get(op.value as string);
          if (v === undefined) return [true, op.value as string, maxVersion];
          return v > maxVersion ? [true, op.value as string, v] : [false, state, maxVersion];
        }
        case 'delete':
          if (op.outcome === 'ok' && op.existed !== undefined && op.existed !== (state !== null)) return [false, state, maxVersion];
          return [true, null, maxVersion];
        case 'read':
          return [op.value === state, state, maxVersion];
        case 'incr':
          return [false, state, maxVersion]; // a key with an incr is checked as a counter
      }
    },
  };
}

/** The counter: missing until the first increment, then an integer. */
const counterModel: Model = {
  initial: null,
  step(op, state, maxVersion) {
    switch (op.kind) {
      case 'incr': {
        const next = ((state as number | null) ?? 0) + (op.by as number);
        return [op.outcome !== 'ok' || op.result === next, next, maxVersion];
      }
      case 'read':
        return [(op.value === null ? null : Number(op.value)) === state, state, maxVersion];
      case 'write':
        return [true, Number(op.value), maxVersion];
      case 'delete':
        if (op.outcome === 'ok' && op.existed !== undefined && op.existed !== (state !== null)) return [false, state, maxVersion];
        return [true, null, maxVersion];
    }
  },
};

interface SearchResult {
  violation: Violation | null;
  inconclusive: boolean;
  steps: number;
}

/**
 * Prepare a register's operations for the search: failed reads and failed writes are dropped
 * (they observed and changed nothing); indeterminate reads likewise. An indeterminate write
 * whose value nobody read is dropped too, placing it last being always possible and changing
 * nothing observed, unless it may explain an observation of the key's existence made after
 * it was invoked: a delete that found the key, a conditional write that was refused, or a
 * compare-and-set that applied on a version no operation saw (its writer is unknown).
 */
export function prepare(ops: Op[]): Op[] {
  const read = new Set<string>();
  const known = new Set<number>([0]);
  for (const o of ops) {
    if (o.kind === 'read' && o.outcome === 'ok' && typeof o.value === 'string') read.add(o.value);
    if (o.version !== undefined && o.outcome === 'ok') known.add(o.version);
  }
  let lastExistenceSeen = -Infinity;
  for (const o of ops) {
    if (o.outcome !== 'ok') continue;
    const seesExistence =
      (o.kind === 'delete' && o.existed === true) ||
      (o.kind === 'write' && o.applied === false) ||
      (o.kind === 'write' && o.applied === true && o.ifVersion !== undefined && !known.has(o.ifVersion));
    if (seesExistence && o.complete > lastExistenceSeen) lastExistenceSeen = o.complete;
  }
  return ops.filter((o) => {
    if (o.outcome === 'failed') return false;
    if (o.kind === 'read') return o.outcome === 'ok';
    if (o.outcome === 'indeterminate' && o.kind === 'write' && !read.has(o.value as string)) return o.invoke < lastExistenceSeen;
    return true;
  });
}

/**
 * A counter's operations for the search: failed ones and reads that did not answer go; an
 * indeterminate increment invoked after every answer was given is dropped (placed last, it
 * changes nothing observed).
 */
export function prepareCounter(ops: Op[]): Op[] {
  const lastAnswer = ops.reduce((m, o) => (o.outcome === 'ok' && o.complete > m ? o.complete : m), -Infinity);
  return ops.filter((o) => {
    if (o.outcome === 'failed') return false;
    if (o.kind === 'read') return o.outcome === 'ok';
    return !(o.outcome === 'indeterminate' && o.invoke > lastAnswer);
  });
}

function searchKey(key: string, ops: Op[], model: Model, maxSteps: number): SearchResult {
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
  // The highest version is part of what was explored: the same operations linearized in
  // another order can leave another one when an indeterminate conditional write did not apply.
  const cache = new Map<number, { bits: Uint32Array; state: State; maxVersion: number }[]>();
  const seen = (bits: Uint32Array, h: number, state: State, maxVersion: number): boolean => {
    const bucket = cache.get(h);
    if (!bucket) {
      cache.set(h, [{ bits, state, maxVersion }]);
      return false;
    }
    for (const c of bucket) {
      if (c.state !== state || c.maxVersion !== maxVersion) continue;
      let same = true;
      for (let w = 0; w < words; w++) {
        if (c.bits[w] !== bits[w]) {
          same = false;
          break;
        }
      }
      if (same) return true;
    }
    bucket.push({ bits, state, maxVersion });
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

  const calls: { entry: Entry; state: State; maxVersion: number; bits: Uint32Array; hash: number }[] = [];
  let state: State = model.initial;
  let maxVersion = 0;
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
      const [ok, next, nextMax] = model.step(o, state, maxVersion);
      if (ok) {
        const bits = linearized.slice();
        bits[entry.op >>> 5] |= 1 << (entry.op & 31);
        const h = hash ^ zobrist[entry.op];
        if (!seen(bits, h, next, nextMax)) {
          calls.push({ entry, state, maxVersion, bits: linearized, hash });
          state = next;
          maxVersion = nextMax;
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
      maxVersion = top.maxVersion;
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
        : op.kind === 'incr'
          ? op.outcome === 'ok'
            ? `returned ${op.result}`
            : 'may have applied'
          : op.applied === false
            ? 'was not applied'
            : op.outcome === 'ok'
              ? `was acknowledged${op.version !== undefined ? ` with version ${op.version}` : ''}`
              : 'may have applied';
  const writer = op.kind === 'read' && op.value != null ? ops.find((o) => o.kind === 'write' && o.value === op.value) : undefined;
  const count = linearized ? linearized.reduce((s, w) => s + popcount(w), 0) : 0;
  return {
    key,
    kind: 'not-linearizable',
    message:
      `${fmt(op)} ${what}, but no order of the operations before it allows that: after linearizing ${count} ` +
      `operations the key could only be ${possible.join(' or ') || '(nothing)'}` +
      (writer ? `; the value was written by ${fmt(writer)}` : '') +
      `\n  concurrent: ${concurrent.slice(0, 12).map(fmt).join('; ') || 'none'}${concurrent.length > 12 ? `; ... ${concurrent.length - 12} more` : ''}` +
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
  const ok = op.outcome === 'ok';
  const version = ok && op.version !== undefined ? ` v${op.version}` : '';
  const body =
    op.kind === 'write'
      ? `${op.call ?? 'write'} ${op.key}=${JSON.stringify(op.value)}` +
        (op.ifVersion !== undefined ? ` ifVersion ${op.ifVersion}` : op.ifAbsent ? ' ifAbsent' : '') +
        (ok && op.applied === false ? ' -> not applied' : version ? ` ->${version}` : '')
      : op.kind === 'delete'
        ? `delete ${op.key}${op.existed === undefined ? '' : ` (existed ${op.existed})`}`
        : op.kind === 'incr'
          ? `incr ${op.key} by ${op.by}${ok ? ` -> ${op.result}` : ''}`
          : `${op.call === 'getEntry' ? 'getEntry' : 'read'} ${op.key}` + (ok ? ` -> ${op.value === null ? 'missing' : JSON.stringify(op.value)}${version}` : '');
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
