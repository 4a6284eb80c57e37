/** Data shapes shared by router, replica and client. docs/PROTOCOL.md describes them on the wire. */

/**
 * Options of a set op (`["s", key, value, flags]`). At most one condition (nx, xx, ver, eq)
 * and at most one expiry (px, at, keep). Without px/at/keep a set clears the key's expiry,
 * as Redis's SET does.
 */
export interface SetFlags {
  /** Only set when the key does not exist. */
  nx?: boolean;
  /** Only set when the key exists. */
  xx?: boolean;
  /** Only set when the key's version is this (0: the key must not exist). */
  ver?: number;
  /** Only set when the key's current value is exactly these bytes (Redis IFEQ). */
  eq?: Uint8Array;
  /** Return the previous value. */
  get?: boolean;
  /** Expire this many milliseconds after the write's router time. */
  px?: number;
  /** Expire at this absolute router time (ms since the epoch). */
  at?: number;
  /** Keep the key's current expiry. */
  keep?: boolean;
  /**
   * The value's content type (checkContentType), stored with it. A set without one leaves
   * the key with none: a set replaces the whole value, its type included.
   */
  ct?: string;
}

/** EXPIRE's conditions (Redis NX/XX/GT/LT): 0 none. */
/**
 * EXPIRE's condition. Redis takes XX with GT or LT: XX GT is GT (a key without an expiry never
 * passes GT), but XX LT is not LT (LT alone passes a key without an expiry), hence XX_LT.
 */
export const ExpireCond = { NONE: 0, NX: 1, XX: 2, GT: 3, LT: 4, XX_LT: 5 } as const;
export type ExpireCond = (typeof ExpireCond)[keyof typeof ExpireCond];

/** A comparison of a transaction's `if`: on version (0 = absent), value bytes, or existence. */
export type TxnCompare = ['v', string, number] | ['=', string, Uint8Array] | ['e', string, boolean];

/**
 * One op of the write stream. Each is applied by every replica at the write's position,
 * against the same data and the same router time, so every replica computes the same
 * result (docs/PROTOCOL.md "Write ops" lists each with its result).
 */
export type WriteOp =
  | ['s', string, Uint8Array]
  | ['s', string, Uint8Array, SetFlags]
  | ['d', string]
  /** INCRBY: the delta as a decimal integer string (int64); `safe` keeps the result within 2^53 - 1. */
  | ['i', string, string]
  | ['i', string, string, boolean]
  /** INCRBYFLOAT: the increment as a decimal string. */
  | ['f', string, string]
  /** APPEND; the router's value limit, when given, bounds the result (a longer one fails, TOO_LARGE). */
  | ['a', string, Uint8Array]
  | ['a', string, Uint8Array, number]
  /** SETRANGE: offset, bytes. */
  | ['r', string, number, Uint8Array]
  /** Expiry: ['e', key, px | null, at | null, cond]; both null = PERSIST. */
  | ['e', string, number | null, number | null, ExpireCond]
  /** GETDEL */
  | ['gd', string]
  /** GETEX: px | null, at | null, persist. */
  | ['gx', string, number | null, number | null, boolean]
  /** RENAME / RENAMENX / COPY: ['m', from, to, {nx?, copy?, replace?}] */
  | ['m', string, string, MoveFlags]
  /** FLUSHALL */
  | ['F']
  /** Remove up to `limit` keys whose expiry is at or before the write's time. */
  | ['x', number]
  /** Transaction: ['t', if, then, else]; then/else hold writes and the reads ['G', key] and ['V', key]. */
  | ['t', TxnCompare[], TxnOp[], TxnOp[]]
  /** Reads inside a transaction: the value, or [value, version, updated, expires]. */
  | ['G', string]
  | ['V', string]
  /** Whether a key exists (EXISTS inside MULTI), whatever it holds. */
  | ['H', string]
  /** Lists (docs/PROTOCOL.md "Write ops"). Push: ['L', key, values, left, onlyIfList] -> the new length. */
  | ['L', string, Uint8Array[], boolean, boolean]
  /** Pop from the first of `keys` holding a list: ['P', keys, count | null, left] -> [key, values, length left] or null. */
  | ['P', string[], number | null, boolean]
  /** LREM: ['lr', key, count, value] -> the number removed. */
  | ['lr', string, number, Uint8Array]
  /** LTRIM: ['lt', key, start, stop] -> true. */
  | ['lt', string, number, number]
  /** LSET: ['ls', key, index, value] -> true. */
  | ['ls', string, number, Uint8Array]
  /** LMOVE: ['lm', from, to, fromLeft, toLeft] -> the value moved, or null. */
  | ['lm', string, string, boolean, boolean];

/** What a transaction branch may hold: any op but a transaction, a flush or a sweep. */
export type TxnOp = WriteOp;

export interface MoveFlags {
  /** RENAMENX / COPY without REPLACE: only when the target does not exist. */
  nx?: boolean;
  /** COPY: keep the source. */
  copy?: boolean;
}

/** A per-op failure inside a write (INCR of a non-number...): the op changed nothing. */
export interface OpError {
  error: string;
  message: string;
}

/**
 * Per-op result of applying a write (docs/PROTOCOL.md "Write ops"): booleans for set
 * (applied) and delete (existed), `[applied, previous]` for set with get, numbers or
 * decimal strings for counters and lengths, bytes for reads, arrays for transactions and
 * sweeps, an OpError for an op that failed.
 */
export type WriteResult = boolean | number | string | Uint8Array | null | OpError | WriteResult[];

export function isOpError(r: unknown): r is OpError {
  return r !== null && typeof r === 'object' && !Array.isArray(r) && !(r instanceof Uint8Array) && typeof (r as OpError).error === 'string';
}

/** 'diverged': it holds writes the router's history lacks, so it is kept out of service rather than resynced. */
export type ReplicaState = 'joining' | 'syncing' | 'in-sync' | 'lagging' | 'diverged';

export interface ResyncProgress {
  mode: 'full' | 'incremental';
  source?: string;
  keysDone: number;
  bytesDone: number;
  totalKeys?: number;
  keysPerSec: number;
  bytesPerSec: number;
  etaMs?: number;
  startedAt: number;
  /** The resync cannot start: no replica is in sync to copy from. */
  waitingForSource?: boolean;
}

export interface ReplicaStatus {
  id: number;
  name: string;
  address: string;
  state: ReplicaState;
  epoch: number;
  seq: number;
  lag: number;
  inflightReads: number;
  bufferedBytes: number;
  resync?: ResyncProgress;
  /** Why a 'diverged' replica is out of service. */
  conflict?: string;
}

export interface RouterStatus {
  version: string;
  protocol: number;
  epoch: number;
  seq: number;
  uptimeMs: number;
  writeAck: 'one' | 'majority' | 'all';
  /** Set while the router serves nothing because no replica provably holds every acknowledged write. */
  waitingFor?: string;
  replicas: ReplicaStatus[];
  clients: number;
  /** The web monitor's address, when the router serves one (--http-port). */
  monitor?: string;
  ops: {
    reads: number;
    writes: number;
    readsPerSec: number;
    writesPerSec: number;
  };
}

/** What a replica tells the router in its HELLO. */
export interface ReplicaHelloInfo {
  name: string;
  epoch: number;
  seq: number;
  reset: boolean;
  /** The router time of the last write it applied (0: none recorded): the router's clock starts no lower. */
  time?: number;
  /** The earliest expiry its store holds (0: none), so the router knows when to sweep. */
  nextExpiry?: number;
}

/** One page of a KEYS scan. `cursor` is null when there is nothing after this page. */
export interface KeysPage {
  keys: string[];
  cursor: string | null;
}
