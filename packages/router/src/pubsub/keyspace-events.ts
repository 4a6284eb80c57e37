import { expiryFrom, isOpError, type SetFlags, type WriteOp, type WriteResult } from '@kvndb/shared';

/**
 * Redis's keyspace notifications: which events a write fires (the names and order Redis
 * fires them in, checked against redis-server with notify-keyspace-events KEA) and the
 * notify-keyspace-events flags that choose them.
 */

/** Redis's event classes and channel kinds (server.h NOTIFY_*). */
export const Notify = {
  KEYSPACE: 1 << 0, // K
  KEYEVENT: 1 << 1, // E
  GENERIC: 1 << 2, // g
  STRING: 1 << 3, // $
  LIST: 1 << 4, // l
  SET: 1 << 5, // s
  HASH: 1 << 6, // h
  ZSET: 1 << 7, // z
  EXPIRED: 1 << 8, // x
  EVICTED: 1 << 9, // e
  STREAM: 1 << 10, // t
  KEY_MISS: 1 << 11, // m
  MODULE: 1 << 12, // d
  NEW: 1 << 13, // n
} as const;

/** 'A': every class but m and n. */
const ALL =
  Notify.GENERIC | Notify.STRING | Notify.LIST | Notify.SET | Notify.HASH | Notify.ZSET | Notify.EXPIRED | Notify.EVICTED | Notify.STREAM | Notify.MODULE;

const LETTERS: Record<string, number> = {
  A: ALL,
  g: Notify.GENERIC,
  $: Notify.STRING,
  l: Notify.LIST,
  s: Notify.SET,
  h: Notify.HASH,
  z: Notify.ZSET,
  x: Notify.EXPIRED,
  e: Notify.EVICTED,
  K: Notify.KEYSPACE,
  E: Notify.KEYEVENT,
  t: Notify.STREAM,
  m: Notify.KEY_MISS,
  d: Notify.MODULE,
  n: Notify.NEW,
};

/**
 * Classes kvndb cannot report. `n` (a key was created) needs to know whether a key existed
 * before a write, which the replicas' results do not say; `m` (a read missed) would put a
 * check on every read's answer. Refused rather than accepted and never fired.
 */
const UNSUPPORTED: Record<string, string> = {
  n: "kvndb does not fire 'new' key events (flag n): a write's result does not say whether the key existed",
  m: "kvndb does not fire key-miss events (flag m): they would cost every read",
};

/** The flags of a notify-keyspace-events string, or Redis's error words for a bad letter. */
export function parseNotifyFlags(text: string): number | { error: string } {
  let flags = 0;
  for (const ch of text) {
    const bit = LETTERS[ch];
    if (bit === undefined) return { error: "Invalid event class character. Use 'Ag$lshzxeKEtmdn'." };
    if (UNSUPPORTED[ch] !== undefined) return { error: UNSUPPORTED[ch] };
    flags |= bit;
  }
  return flags;
}

/** The flags as CONFIG GET shows them, in Redis's order (keyspaceEventsFlagsToString). */
export function formatNotifyFlags(flags: number): string {
  let out = '';
  if ((flags & ALL) === ALL) out += 'A';
  else {
    const order: Array<[string, number]> = [
      ['g', Notify.GENERIC], ['$', Notify.STRING], ['l', Notify.LIST], ['s', Notify.SET], ['h', Notify.HASH],
      ['z', Notify.ZSET], ['x', Notify.EXPIRED], ['e', Notify.EVICTED], ['t', Notify.STREAM], ['d', Notify.MODULE], ['n', Notify.NEW],
    ];
    for (const [ch, bit] of order) if (flags & bit) out += ch;
  }
  if (flags & Notify.KEYSPACE) out += 'K';
  if (flags & Notify.KEYEVENT) out += 'E';
  if (flags & Notify.KEY_MISS) out += 'm';
  return out;
}

/** Whether `flags` makes any notification fire at all (a class, and K or E). */
export function notifiesAnything(flags: number): boolean {
  return (flags & (Notify.KEYSPACE | Notify.KEYEVENT)) !== 0 && (flags & ~(Notify.KEYSPACE | Notify.KEYEVENT)) !== 0;
}

/** One notification: Redis's event name, its class, the key. */
export interface KeyEvent {
  readonly type: number;
  readonly event: string;
  readonly key: string;
}

/**
 * The events one applied write fires, in Redis's order, from its ops and their results (the
 * first replica's, which every replica shares) at the write's router time. Ops that changed
 * nothing (a failed condition, an OpError, a missing key) fire nothing, as in Redis.
 */
export function keyEvents(ops: readonly WriteOp[], results: readonly WriteResult[], time: number): KeyEvent[] {
  const out: KeyEvent[] = [];
  for (let i = 0; i < ops.length; i++) eventsOf(ops[i], results[i], time, out);
  return out;
}

function ev(out: KeyEvent[], type: number, event: string, key: string): void {
  out.push({ type, event, key });
}

function eventsOf(op: WriteOp, result: WriteResult, time: number, out: KeyEvent[]): void {
  if (isOpError(result)) return;
  switch (op[0]) {
    case 's': {
      // SET, SETNX, SETEX, PSETEX, GETSET, MSET, MSETNX; with GET the result is [applied, old].
      const applied = Array.isArray(result) ? result[0] === true : result === true;
      if (!applied) return;
      ev(out, Notify.STRING, 'set', op[1]);
      const f = op.length > 3 ? (op[3] as SetFlags | null) : null;
      if (f && !f.keep && (f.px !== undefined || f.at !== undefined)) {
        ev(out, Notify.GENERIC, 'expire', op[1]);
        // An expiry already past: kvndb removes the key at once, Redis on its next access.
        if (expiryFrom(f.px, f.at, time) <= time) ev(out, Notify.EXPIRED, 'expired', op[1]);
      }
      return;
    }
    case 'd':
    case 'gd':
      // DEL/UNLINK answer whether a live key was there; GETDEL its value or nil.
      if (result === true || (op[0] === 'gd' && result !== null)) ev(out, Notify.GENERIC, 'del', op[1]);
      return;
    case 'i':
      ev(out, Notify.STRING, 'incrby', op[1]); // INCR, DECR, INCRBY, DECRBY alike, as in Redis
      return;
    case 'f':
      ev(out, Notify.STRING, 'incrbyfloat', op[1]);
      return;
    case 'a':
      ev(out, Notify.STRING, 'append', op[1]);
      return;
    case 'r':
      // An empty SETRANGE changes nothing and fires nothing.
      if (op[3].length > 0) ev(out, Notify.STRING, 'setrange', op[1]);
      return;
    case 'e':
      if (result !== true) return;
      if (op[2] === null && op[3] === null) ev(out, Notify.GENERIC, 'persist', op[1]);
      // An expiry at or before the write's time deletes the key: Redis calls that del.
      else ev(out, Notify.GENERIC, expiryFrom(op[2], op[3], time) <= time ? 'del' : 'expire', op[1]);
      return;
    case 'gx':
      if (result === null) return;
      // GETEX PERSIST fires persist even on a key without an expiry: its result (the value)
      // does not say whether there was one to remove (Redis fires only when there was).
      if (op[4]) ev(out, Notify.GENERIC, 'persist', op[1]);
      else if (op[2] !== null || op[3] !== null) ev(out, Notify.GENERIC, expiryFrom(op[2], op[3], time) <= time ? 'del' : 'expire', op[1]);
      return;
    case 'm':
      // RENAME of a key onto itself changes nothing and fires nothing.
      if (result !== true || op[1] === op[2]) return;
      if (op[3].copy) ev(out, Notify.GENERIC, 'copy_to', op[2]);
      else {
        ev(out, Notify.GENERIC, 'rename_from', op[1]);
        ev(out, Notify.GENERIC, 'rename_to', op[2]);
      }
      return;
    case 'x': {
      // A sweep: [keys removed, next expiry].
      const removed = Array.isArray(result) ? result[0] : null;
      if (Array.isArray(removed)) for (const k of removed) if (typeof k === 'string') ev(out, Notify.EXPIRED, 'expired', k);
      return;
    }
    case 't': {
      // A transaction: [passed, results of the branch taken].
      if (!Array.isArray(result) || !Array.isArray(result[1])) return;
      const branch = result[0] === true ? op[2] : op[3];
      const inner = result[1];
      for (let i = 0; i < branch.length; i++) eventsOf(branch[i], inner[i], time, out);
      return;
    }
    // Lists, with Redis's event names (a key a pop empties also fires del, as in Redis).
    case 'L':
      // The new length; 0: LPUSHX/RPUSHX on no list, nothing pushed.
      if (typeof result === 'number' && result > 0) ev(out, Notify.LIST, op[3] ? 'lpush' : 'rpush', op[1]);
      return;
    case 'P': {
      // [key popped, values, length left], nil when every key was empty (BLPOP/BRPOP too).
      if (!Array.isArray(result) || typeof result[0] !== 'string') return;
      if (Array.isArray(result[1]) && result[1].length === 0) return;
      ev(out, Notify.LIST, op[3] ? 'lpop' : 'rpop', result[0]);
      if (result[2] === 0) ev(out, Notify.GENERIC, 'del', result[0]);
      return;
    }
    case 'lr':
      // The count removed. Whether that emptied the list is not in the result: no del event.
      if (typeof result === 'number' && result > 0) ev(out, Notify.LIST, 'lrem', op[1]);
      return;
    case 'lt':
      if (result === true) ev(out, Notify.LIST, 'ltrim', op[1]);
      return;
    case 'ls':
      if (result === true) ev(out, Notify.LIST, 'lset', op[1]);
      return;
    case 'lm':
      // LMOVE: the source's pop, then the destination's push (the value moved; nil: none).
      if (result === null || result === undefined) return;
      ev(out, Notify.LIST, op[3] ? 'lpop' : 'rpop', op[1]);
      ev(out, Notify.LIST, op[4] ? 'lpush' : 'rpush', op[2]);
      return;
    // FLUSHALL fires no key events in Redis; 'G' and 'V' are reads.
    default:
      return;
  }
}
