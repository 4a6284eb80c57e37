import {
  ErrorCode,
  ExpireCond,
  KvndbError,
  STRING_TOO_LONG,
  checkContentType,
  describe,
  expiryFrom,
  inInt64,
  listIndex,
  listSpan,
  WRONG_TYPE_MESSAGE,
  parseInt64,
  type MoveFlags,
  type OpError,
  type SetFlags,
  type TxnCompare,
  type WriteOp,
  type WriteResult,
} from '@kvndb/shared';

/** What every key carries besides its value (docs/DESIGN.md "Data model"). */
export interface EntryMeta {
  /** The seq of the write that last changed the key. */
  version: number;
  /** The router time of that write (ms). */
  updated: number;
  /** The router time at which the key expires; 0: never. */
  expires: number;
  /**
   * When the key holds a list: its length (an empty list does not exist, as in Redis). 0 or
   * absent: the key holds a string.
   */
  list?: number;
}

/** A key with its value; a list's value is empty (its items are read with listRange). */
export interface RawEntry extends EntryMeta {
  value: Buffer;
  /**
   * The content type stored with a string (SET's `ct` flag); absent or null: none. A write
   * that replaces the whole value (SET without `ct`, MSET, INCR) leaves none; one that edits
   * it (APPEND, SETRANGE), touches it (EXPIRE, GETEX) or moves it (RENAME, COPY) keeps it.
   */
  contentType?: string | null;
}

/**
 * The primitive operations a backend offers to applyOps. They see keys as stored, expired
 * or not: applyOps decides what is live at the write's time, so every backend gives
 * identical results.
 */
export interface KvPrimitives {
  /** The entry as stored (expired or not), or undefined. */
  rawEntry(key: string): RawEntry | undefined;
  /** The same without the value. */
  meta(key: string): EntryMeta | undefined;
  /** Store a string, replacing what the key held; `contentType` undefined: it has none. */
  put(key: string, value: Uint8Array, version: number, updated: number, expires: number, contentType?: string): void;
  /** Change a key's version, updated time and expiry, keeping its value. */
  touch(key: string, version: number, updated: number, expires: number): void;
  /** Remove a key (a string or a whole list); returns whether it was stored. */
  remove(key: string): boolean;
  /** Items start..stop (0 <= start <= stop < length) of the list at `key`, which must hold one. */
  listRange(key: string, start: number, stop: number): Buffer[];
  /**
   * Push `values` (one by one: the last pushed left ends up first, as LPUSH does) onto the
   * list at `key`, creating it with `expires` when the key is absent; `key` must hold a list
   * or nothing. Returns the new length. O(values), never a rewrite of the list.
   */
  listPush(key: string, values: readonly Uint8Array[], left: boolean, version: number, updated: number, expires: number): number;
  /** Remove and return up to `count` (>= 1) items from one end of the list at `key`; the key goes when emptied. */
  listPop(key: string, count: number, left: boolean, version: number, updated: number): Buffer[];
  /** Replace item `index` (0 <= index < length) of the list at `key`. */
  listSet(key: string, index: number, value: Uint8Array, version: number, updated: number): void;
  /** Up to `limit` keys whose expiry is in (0, now], in (expiry, key) order. */
  expiredKeys(now: number, limit: number): string[];
  /** The earliest expiry any key holds; 0 when none expires. */
  nextExpiry(): number;
  /** Remove every key. */
  clear(): void;
}

/** Where in the stream a write is applied: its seq (the new version) and its router time. */
export interface WriteContext {
  seq: number;
  time: number;
}

/** Sweep results list the keys removed, up to about this many bytes of key names. */
const SWEEP_RESULT_BYTES = 1024 * 1024;

function opError(error: string, message: string): OpError {
  return { error, message };
}

const NOT_INTEGER = opError(ErrorCode.NOT_A_NUMBER, 'value is not an integer or out of range');
const NOT_FLOAT = opError(ErrorCode.NOT_A_NUMBER, 'value is not a valid float');
const OVERFLOW = opError(ErrorCode.OVERFLOW, 'increment or decrement would overflow');
const NO_SUCH_KEY = opError(ErrorCode.NO_SUCH_KEY, 'no such key');
const TOO_LONG = opError(ErrorCode.TOO_LARGE, STRING_TOO_LONG);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const WRONG_TYPE = opError(ErrorCode.WRONG_TYPE, WRONG_TYPE_MESSAGE);
const INDEX_OUT_OF_RANGE = opError(ErrorCode.OUT_OF_RANGE, 'index out of range');
const UNSAFE = opError(ErrorCode.OVERFLOW, 'increment or decrement would pass 2^53 - 1, the largest exact JavaScript number (incrBig() counts to 2^63 - 1)');

function isLive(e: EntryMeta | undefined, now: number): boolean {
  return e !== undefined && (e.expires === 0 || e.expires > now);
}

function liveEntry(t: KvPrimitives, key: string, now: number): RawEntry | undefined {
  const e = t.rawEntry(key);
  return isLive(e, now) ? e : undefined;
}

/** The live string at `key`, or WRONG_TYPE when it holds a list. */
function liveString(t: KvPrimitives, key: string, now: number): RawEntry | undefined | OpError {
  const e = liveEntry(t, key, now);
  return e !== undefined && e.list ? WRONG_TYPE : e;
}

function isList(e: EntryMeta | undefined): boolean {
  return e !== undefined && e.list !== undefined && e.list > 0;
}

function liveMeta(t: KvPrimitives, key: string, now: number): EntryMeta | undefined {
  const e = t.meta(key);
  return isLive(e, now) ? e : undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** A counter's value as Redis keeps it: an int64 in decimal. */
function integerOf(value: Buffer): bigint | undefined {
  return value.length > 20 ? undefined : parseInt64(value.toString('latin1'));
}

/** A number as a result: a number while it is exact in JavaScript, its decimal string beyond. */
function counterResult(n: bigint): number | string {
  const x = Number(n);
  return Number.isSafeInteger(x) ? x : n.toString();
}

/** Redis's float syntax as strtold takes it, without hex, infinities or NaN. */
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function floatOf(s: string): number | undefined {
  if (!FLOAT.test(s)) return undefined;
  const x = Number(s);
  return Number.isFinite(x) ? x : undefined;
}

/** A float as INCRBYFLOAT writes it: shortest round-trip decimal, never exponent notation. */
export function formatFloat(x: number): string {
  const s = String(x);
  if (!s.includes('e')) return s;
  if (Number.isInteger(x)) return BigInt(x).toString();
  return x.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}

/**
 * Apply one write's ops in order at `ctx` and return their results. Ops must be valid (see
 * checkOps). Every decision depends only on the stored data, the ops and ctx, never on this
 * process's clock, so every replica computes the same results and ends in the same state.
 */
export function applyOps(t: KvPrimitives, ops: WriteOp[], ctx: WriteContext): WriteResult[] {
  const results: WriteResult[] = new Array(ops.length);
  for (let i = 0; i < ops.length; i++) results[i] = applyOp(t, ops[i], ctx);
  return results;
}

function applyOp(t: KvPrimitives, op: WriteOp, ctx: WriteContext): WriteResult {
  const { seq, time } = ctx;
  switch (op[0]) {
    case 's': {
      const flags = op.length > 3 ? (op[3] as SetFlags | null) : null;
      if (!flags) {
        t.put(op[1], op[2], seq, time, 0);
        return true;
      }
      return applySet(t, op[1], op[2], flags, ctx);
    }
    case 'd': {
      const e = t.meta(op[1]);
      if (e === undefined) return false;
      t.remove(op[1]);
      return isLive(e, time);
    }
    case 'i': {
      const e = liveString(t, op[1], time);
      if (isOpErr(e)) return e;
      let current = 0n;
      if (e !== undefined) {
        const n = integerOf(e.value);
        if (n === undefined) return NOT_INTEGER;
        current = n;
      }
      const next = current + BigInt(op[2]);
      if (!inInt64(next)) return OVERFLOW;
      if (op.length > 3 && op[3] && (next > SAFE_MAX || next < -SAFE_MAX)) return UNSAFE;
      // A counter has no content type: the number's text replaces the value (INCRBYFLOAT too).
      t.put(op[1], Buffer.from(next.toString(), 'latin1'), seq, time, e?.expires ?? 0);
      return counterResult(next);
    }
    case 'f': {
      const e = liveString(t, op[1], time);
      if (isOpErr(e)) return e;
      let current = 0;
      if (e !== undefined) {
        const x = e.value.length <= 5000 ? floatOf(e.value.toString('latin1')) : undefined;
        if (x === undefined) return NOT_FLOAT;
        current = x;
      }
      const next = current + Number(op[2]);
      if (!Number.isFinite(next)) return opError(ErrorCode.NOT_A_NUMBER, 'increment would produce NaN or Infinity');
      const text = formatFloat(next);
      t.put(op[1], Buffer.from(text, 'latin1'), seq, time, e?.expires ?? 0);
      return text;
    }
    case 'a': {
      const e = liveString(t, op[1], time);
      if (isOpErr(e)) return e;
      // The limit travels in the op (commands/append.ts): every replica refuses alike.
      if (op.length > 3 && (e?.value.length ?? 0) + op[2].length > (op[3] as number)) return TOO_LONG;
      const value = e === undefined ? Buffer.from(op[2]) : Buffer.concat([e.value, op[2]]);
      // An edit of the value keeps its content type, as a file keeps its type when appended to.
      t.put(op[1], value, seq, time, e?.expires ?? 0, e?.contentType ?? undefined);
      return value.length;
    }
    case 'r': {
      const e = liveString(t, op[1], time);
      if (isOpErr(e)) return e;
      const offset = op[2];
      const bytes = op[3];
      // Redis: an empty write changes nothing (and creates no key).
      if (bytes.length === 0) return e?.value.length ?? 0;
      const length = Math.max(e?.value.length ?? 0, offset + bytes.length);
      const value = Buffer.alloc(length);
      if (e !== undefined) e.value.copy(value);
      value.set(bytes, offset);
      t.put(op[1], value, seq, time, e?.expires ?? 0, e?.contentType ?? undefined);
      return length;
    }
    case 'e':
      return applyExpire(t, op[1], op[2], op[3], op[4], ctx);
    case 'gd': {
      const e = liveString(t, op[1], time);
      if (isOpErr(e)) return e;
      if (e === undefined) return null;
      t.remove(op[1]);
      return e.value;
    }
    case 'gx': {
      const e = liveString(t, op[1], time);
      if (isOpErr(e)) return e;
      if (e === undefined) return null;
      const persist = op[4];
      if (persist) {
        if (e.expires !== 0) t.touch(op[1], seq, time, 0);
      } else if (op[2] !== null || op[3] !== null) {
        const expires = expiryFrom(op[2], op[3], time);
        if (expires <= time) t.remove(op[1]);
        else t.touch(op[1], seq, time, expires);
      }
      return e.value;
    }
    case 'm':
      return applyMove(t, op[1], op[2], op[3], ctx);
    case 'F':
      t.clear();
      return true;
    case 'x':
      return sweep(t, op[1], time);
    case 't': {
      const pass = op[1].every((c) => compare(t, c, time));
      return [pass, applyOps(t, pass ? op[2] : op[3], ctx)];
    }
    case 'G': {
      const e = liveString(t, op[1], time);
      return isOpErr(e) ? e : (e?.value ?? null);
    }
    case 'V': {
      const e = liveString(t, op[1], time);
      if (isOpErr(e)) return e;
      if (e === undefined) return null;
      // As an entry read answers (commands/mget.ts entryAnswer): the content type only when there is one.
      return e.contentType ? [e.value, e.version, e.updated, e.expires, e.contentType] : [e.value, e.version, e.updated, e.expires];
    }
    case 'H':
      return liveMeta(t, op[1], time) !== undefined;
    case 'L':
      return applyPush(t, op[1], op[2], op[3], op[4], ctx);
    case 'P':
      return applyPop(t, op[1], op[2], op[3], ctx);
    case 'lr':
      return applyRemove(t, op[1], op[2], op[3], ctx);
    case 'lt':
      return applyTrim(t, op[1], op[2], op[3], ctx);
    case 'ls': {
      const e = liveMeta(t, op[1], time);
      if (e === undefined) return NO_SUCH_KEY;
      if (!isList(e)) return WRONG_TYPE;
      const i = listIndex(op[2], e.list as number);
      if (i < 0) return INDEX_OUT_OF_RANGE;
      t.listSet(op[1], i, op[3], seq, time);
      return true;
    }
    case 'lm':
      return applyListMove(t, op[1], op[2], op[3], op[4], ctx);
  }
}

function isOpErr(r: unknown): r is OpError {
  return r === WRONG_TYPE;
}

// ---------------------------------------------------------------------------------------
// Lists. A list key carries version, updated and expiry like a string; every change gives
// it the write's seq as its version. A list emptied by a pop, LREM or LTRIM is removed.

/** The live list at `key` (undefined: none), WRONG_TYPE for a string; a stored expired key is removed first. */
function liveList(t: KvPrimitives, key: string, time: number): EntryMeta | undefined | OpError {
  const e = t.meta(key);
  if (e === undefined) return undefined;
  if (!isLive(e, time)) {
    // Not yet swept: a push must start a new list, not extend the dead one.
    t.remove(key);
    return undefined;
  }
  return isList(e) ? e : WRONG_TYPE;
}

function applyPush(t: KvPrimitives, key: string, values: Uint8Array[], left: boolean, onlyIfList: boolean, ctx: WriteContext): WriteResult {
  const e = liveList(t, key, ctx.time);
  if (isOpErr(e)) return e;
  if (e === undefined && onlyIfList) return 0;
  return t.listPush(key, values, left, ctx.seq, ctx.time, e?.expires ?? 0);
}

function applyPop(t: KvPrimitives, keys: string[], count: number | null, left: boolean, ctx: WriteContext): WriteResult {
  // Redis's BLPOP: the first key holding a non-empty list, in the order given; a key of the
  // other type fails the whole pop.
  for (const key of keys) {
    const e = liveMeta(t, key, ctx.time);
    if (e === undefined) continue;
    if (!isList(e)) return WRONG_TYPE;
    const length = e.list as number;
    if (count === 0) return [key, [], length];
    const values = t.listPop(key, count ?? 1, left, ctx.seq, ctx.time);
    // What is left tells the router whether another waiting popper can be served at once.
    return [key, values, length - values.length];
  }
  return null;
}

function applyRemove(t: KvPrimitives, key: string, count: number, value: Uint8Array, ctx: WriteContext): WriteResult {
  const e = liveMeta(t, key, ctx.time);
  if (e === undefined) return 0;
  if (!isList(e)) return WRONG_TYPE;
  const items = t.listRange(key, 0, (e.list as number) - 1);
  // count > 0: the first `count` matches from the head; < 0: from the tail; 0: all.
  const limit = count === 0 ? Infinity : Math.abs(count);
  const drop = new Set<number>();
  if (count >= 0) {
    for (let i = 0; i < items.length && drop.size < limit; i++) if (sameBytes(items[i], value)) drop.add(i);
  } else {
    for (let i = items.length - 1; i >= 0 && drop.size < limit; i--) if (sameBytes(items[i], value)) drop.add(i);
  }
  if (drop.size === 0) return 0;
  // LREM is O(n) in Redis too: the list is written again without the matches.
  t.remove(key);
  const kept = items.filter((_, i) => !drop.has(i));
  if (kept.length > 0) t.listPush(key, kept, false, ctx.seq, ctx.time, e.expires);
  return drop.size;
}

function applyTrim(t: KvPrimitives, key: string, start: number, stop: number, ctx: WriteContext): WriteResult {
  const e = liveMeta(t, key, ctx.time);
  if (e === undefined) return true;
  if (!isList(e)) return WRONG_TYPE;
  const length = e.list as number;
  const span = listSpan(start, stop, length);
  if (span === null) {
    t.remove(key);
    return true;
  }
  // Pops from both ends: O(items removed), the kept middle is not rewritten.
  if (span[0] > 0) t.listPop(key, span[0], true, ctx.seq, ctx.time);
  if (span[1] < length - 1) t.listPop(key, length - 1 - span[1], false, ctx.seq, ctx.time);
  return true;
}

function applyListMove(t: KvPrimitives, from: string, to: string, fromLeft: boolean, toLeft: boolean, ctx: WriteContext): WriteResult {
  const src = liveMeta(t, from, ctx.time);
  if (src === undefined) return null;
  if (!isList(src)) return WRONG_TYPE;
  // Redis checks the destination's type before anything moves.
  const dst = from === to ? src : liveList(t, to, ctx.time);
  if (isOpErr(dst)) return dst;
  const [value] = t.listPop(from, 1, fromLeft, ctx.seq, ctx.time);
  const expires = from === to ? src.expires : (dst?.expires ?? 0);
  t.listPush(to, [value], toLeft, ctx.seq, ctx.time, expires);
  return value;
}

function applySet(t: KvPrimitives, key: string, value: Uint8Array, flags: SetFlags, ctx: WriteContext): WriteResult {
  const { seq, time } = ctx;
  // The value is read only when needed (GET, IFEQ); conditions otherwise read metadata only.
  const needValue = flags.get === true || flags.eq !== undefined;
  const needMeta = needValue || flags.nx || flags.xx || flags.ver !== undefined || flags.keep;
  const old: EntryMeta | RawEntry | undefined = needValue
    ? liveEntry(t, key, time)
    : needMeta
      ? liveMeta(t, key, time)
      : undefined;
  // SET replaces a list like any value; only GET and IFEQ read the old one as a string.
  if (needValue && isList(old)) return WRONG_TYPE;
  let applied = true;
  if (flags.nx) applied = old === undefined;
  else if (flags.xx) applied = old !== undefined;
  else if (flags.ver !== undefined) applied = (old?.version ?? 0) === flags.ver;
  else if (flags.eq !== undefined) applied = old !== undefined && sameBytes((old as RawEntry).value, flags.eq);
  if (applied) {
    const expires = flags.keep ? (old?.expires ?? 0) : expiryFrom(flags.px, flags.at, time);
    // An expiry already past (EXAT in the past) removes the key, as Redis does.
    if (expires !== 0 && expires <= time) t.remove(key);
    else t.put(key, value, seq, time, expires, flags.ct);
  }
  return flags.get ? [applied, (old as RawEntry | undefined)?.value ?? null] : applied;
}

function applyExpire(
  t: KvPrimitives,
  key: string,
  px: number | null,
  at: number | null,
  cond: ExpireCond,
  ctx: WriteContext,
): boolean {
  const { seq, time } = ctx;
  const e = liveMeta(t, key, time);
  if (e === undefined) return false;
  if (px === null && at === null) {
    // PERSIST
    if (e.expires === 0) return false;
    t.touch(key, seq, time, 0);
    return true;
  }
  const expires = expiryFrom(px, at, time);
  // Redis: a key without an expiry has an infinite time to live for GT and LT.
  if (cond === ExpireCond.NX && e.expires !== 0) return false;
  if (cond === ExpireCond.XX && e.expires === 0) return false;
  if (cond === ExpireCond.GT && (e.expires === 0 || expires <= e.expires)) return false;
  if (cond === ExpireCond.LT && e.expires !== 0 && expires >= e.expires) return false;
  if (cond === ExpireCond.XX_LT && (e.expires === 0 || expires >= e.expires)) return false;
  if (expires <= time) t.remove(key);
  else t.touch(key, seq, time, expires);
  return true;
}

function applyMove(t: KvPrimitives, from: string, to: string, flags: MoveFlags, ctx: WriteContext): WriteResult {
  const { seq, time } = ctx;
  const src = liveEntry(t, from, time);
  if (src === undefined) return flags.copy ? false : NO_SUCH_KEY;
  if (from === to) return flags.copy ? false : !flags.nx;
  if (flags.nx && liveMeta(t, to, time) !== undefined) return false;
  // The expiry moves (RENAME) or is copied (COPY) with the value, as in Redis.
  if (isList(src)) {
    const items = t.listRange(from, 0, (src.list as number) - 1);
    t.remove(to);
    t.listPush(to, items, false, seq, time, src.expires);
  } else {
    t.put(to, src.value, seq, time, src.expires, src.contentType ?? undefined);
  }
  if (!flags.copy) t.remove(from);
  return true;
}

function compare(t: KvPrimitives, c: TxnCompare, time: number): boolean {
  switch (c[0]) {
    case 'v':
      return (liveMeta(t, c[1], time)?.version ?? 0) === c[2];
    case '=': {
      const e = liveEntry(t, c[1], time);
      return e !== undefined && !isList(e) && sameBytes(e.value, c[2]);
    }
    case 'e':
      return (liveMeta(t, c[1], time) !== undefined) === c[2];
  }
}

/** Remove keys expired at `time`: [keys removed, the earliest expiry left (0: none)]. */
function sweep(t: KvPrimitives, limit: number, time: number): WriteResult {
  const removed: string[] = [];
  let bytes = 0;
  for (const key of t.expiredKeys(time, limit)) {
    t.remove(key);
    removed.push(key);
    bytes += key.length + 4;
    if (bytes >= SWEEP_RESULT_BYTES) break;
  }
  return [removed, t.nextExpiry()];
}

// ---------------------------------------------------------------------------------------
// Checks: a replica trusts nothing on the wire. A malformed op fails its whole write group
// cleanly (BAD_REQUEST) before anything is applied.

function bad(i: number, what: string): KvndbError {
  return KvndbError.badRequest(`write op ${i}: ${what}`);
}

function isKey(k: unknown): k is string {
  return typeof k === 'string' && k.length > 0;
}

function isValues(x: unknown): boolean {
  return Array.isArray(x) && x.length > 0 && x.every((v) => v instanceof Uint8Array);
}

/** A list index or count: any safe integer (negative ones count from the end). */
function isIndex(x: unknown): boolean {
  return Number.isSafeInteger(x);
}

function isTime(x: unknown): boolean {
  return x === null || (Number.isSafeInteger(x) && (x as number) > 0);
}

const SET_FLAGS = new Set(['nx', 'xx', 'ver', 'eq', 'get', 'px', 'at', 'keep', 'ct']);

function checkSetFlags(i: number, flags: unknown): void {
  if (flags === undefined || flags === null) return;
  if (typeof flags !== 'object' || Array.isArray(flags) || flags instanceof Uint8Array) {
    throw bad(i, `set flags must be a map, got ${describe(flags)}`);
  }
  const f = flags as Record<string, unknown>;
  for (const name of Object.keys(f)) if (!SET_FLAGS.has(name)) throw bad(i, `unknown set flag ${JSON.stringify(name)}`);
  if (f.ver !== undefined && !(Number.isSafeInteger(f.ver) && (f.ver as number) >= 0)) throw bad(i, 'ver must be a version number');
  if (f.eq !== undefined && !(f.eq instanceof Uint8Array)) throw bad(i, 'eq must be bytes');
  if (f.px !== undefined && !(Number.isSafeInteger(f.px) && (f.px as number) > 0)) throw bad(i, 'px must be a positive integer');
  if (f.at !== undefined && !(Number.isSafeInteger(f.at) && (f.at as number) > 0)) throw bad(i, 'at must be a positive integer');
  if (f.ct !== undefined) {
    try {
      checkContentType(f.ct);
    } catch (err) {
      throw bad(i, `ct: ${(err as Error).message}`);
    }
  }
}

export function checkOps(ops: unknown, inTxn = false): asserts ops is WriteOp[] {
  if (!Array.isArray(ops)) throw KvndbError.badRequest(`write ops must be an array, got ${describe(ops)}`);
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as unknown[];
    if (!Array.isArray(op)) throw bad(i, `must be an array, got ${describe(op)}`);
    const kind = op[0];
    if (kind === 'F' || kind === 'x') {
      if (inTxn) throw bad(i, `${kind} cannot be inside a transaction`);
      if (kind === 'F' ? op.length !== 1 : op.length !== 2 || !Number.isSafeInteger(op[1]) || (op[1] as number) < 1) {
        throw bad(i, kind === 'F' ? 'a flush is ["F"]' : 'a sweep is ["x", limit]');
      }
      continue;
    }
    if (kind === 't') {
      if (inTxn) throw bad(i, 'a transaction cannot hold a transaction');
      if (op.length !== 4 || !Array.isArray(op[1])) throw bad(i, 'a transaction is ["t", if, then, else]');
      for (const c of op[1] as unknown[]) checkCompare(i, c);
      checkOps(op[2], true);
      checkOps(op[3], true);
      continue;
    }
    if (kind === 'P') {
      const keys = op[1];
      if (
        op.length !== 4 ||
        !Array.isArray(keys) ||
        keys.length === 0 ||
        !keys.every(isKey) ||
        !(op[2] === null || (Number.isSafeInteger(op[2]) && (op[2] as number) >= 0)) ||
        typeof op[3] !== 'boolean'
      ) {
        throw bad(i, 'a pop is ["P", [key, ...], count|nil, left]');
      }
      continue;
    }
    if (!isKey(op[1])) throw bad(i, `needs a non-empty string key, got ${describe(op[1])}`);
    switch (kind) {
      case 's':
        if (op.length !== 3 && op.length !== 4) throw bad(i, 'a set is ["s", key, value, flags?]');
        if (!(op[2] instanceof Uint8Array)) throw bad(i, `a set's value must be bytes, got ${describe(op[2])}`);
        checkSetFlags(i, op[3]);
        break;
      case 'd':
      case 'gd':
      case 'G':
      case 'V':
      case 'H':
        if (op.length !== 2) throw bad(i, `${kind} takes only a key`);
        break;
      case 'i':
        if ((op.length !== 3 && op.length !== 4) || typeof op[2] !== 'string' || parseInt64(op[2]) === undefined || (op.length === 4 && typeof op[3] !== 'boolean')) {
          throw bad(i, 'an increment is ["i", key, "integer", safe?]');
        }
        break;
      case 'f':
        if (op.length !== 3 || typeof op[2] !== 'string' || floatOf(op[2]) === undefined) throw bad(i, 'a float increment is ["f", key, "number"]');
        break;
      case 'a':
        if ((op.length !== 3 && op.length !== 4) || !(op[2] instanceof Uint8Array) || (op.length === 4 && !(Number.isSafeInteger(op[3]) && (op[3] as number) >= 0))) {
          throw bad(i, 'an append is ["a", key, bytes, limit?]');
        }
        break;
      case 'r':
        if (op.length !== 4 || !Number.isSafeInteger(op[2]) || (op[2] as number) < 0 || !(op[3] instanceof Uint8Array)) {
          throw bad(i, 'a set-range is ["r", key, offset, bytes]');
        }
        break;
      case 'e':
        if (op.length !== 5 || !isTime(op[2]) || !isTime(op[3]) || (op[2] !== null && op[3] !== null) || ![0, 1, 2, 3, 4, 5].includes(op[4] as number)) {
          throw bad(i, 'an expire is ["e", key, px|nil, at|nil, cond 0..5]');
        }
        break;
      case 'gx':
        if (op.length !== 5 || !isTime(op[2]) || !isTime(op[3]) || typeof op[4] !== 'boolean') throw bad(i, 'a get-expire is ["gx", key, px|nil, at|nil, persist]');
        break;
      case 'L':
        if (op.length !== 5 || !isValues(op[2]) || typeof op[3] !== 'boolean' || typeof op[4] !== 'boolean') {
          throw bad(i, 'a push is ["L", key, [bytes, ...], left, onlyIfList]');
        }
        break;
      case 'lr':
        if (op.length !== 4 || !isIndex(op[2]) || !(op[3] instanceof Uint8Array)) throw bad(i, 'a list remove is ["lr", key, count, bytes]');
        break;
      case 'lt':
        if (op.length !== 4 || !isIndex(op[2]) || !isIndex(op[3])) throw bad(i, 'a list trim is ["lt", key, start, stop]');
        break;
      case 'ls':
        if (op.length !== 4 || !isIndex(op[2]) || !(op[3] instanceof Uint8Array)) throw bad(i, 'a list set is ["ls", key, index, bytes]');
        break;
      case 'lm':
        if (op.length !== 5 || !isKey(op[2]) || typeof op[3] !== 'boolean' || typeof op[4] !== 'boolean') {
          throw bad(i, 'a list move is ["lm", from, to, fromLeft, toLeft]');
        }
        break;
      case 'm': {
        const f = op[3] as Record<string, unknown>;
        if (op.length !== 4 || !isKey(op[2]) || f === null || typeof f !== 'object' || Array.isArray(f)) throw bad(i, 'a move is ["m", from, to, flags]');
        break;
      }
      default:
        throw bad(i, `unknown kind ${JSON.stringify(kind)}`);
    }
  }
}

function checkCompare(i: number, c: unknown): void {
  const x = c as unknown[];
  if (!Array.isArray(x) || x.length !== 3 || !isKey(x[1])) throw bad(i, `a comparison is [kind, key, operand], got ${describe(c)}`);
  if (x[0] === 'v' && Number.isSafeInteger(x[2]) && (x[2] as number) >= 0) return;
  if (x[0] === '=' && x[2] instanceof Uint8Array) return;
  if (x[0] === 'e' && typeof x[2] === 'boolean') return;
  throw bad(i, `bad comparison ${describe(c)}`);
}
