import { KvndbError, checkContentType, describe, type StoredBytes, type WriteOp, type WriteResult } from '@kvndb/shared';
import { checkOps, type RawEntry } from './apply-ops';

/** Where a store is in the router's write stream. `(0, 0)` means empty. */
export interface StoredPosition {
  epoch: number;
  seq: number;
}

/** One sequenced write (a WRITE message): its ops are applied atomically at `time`. */
export interface WriteBatch {
  epoch: number;
  seq: number;
  /** The router's clock when it sequenced the write. */
  time: number;
  ops: WriteOp[];
}

/**
 * One key in a snapshot: [key, value, version, updated, expires, contentType?] for a string
 * (the content type only when it has one); for a list, [key, [item, ...], version, updated,
 * expires, more?]: a long list travels in several entries, the first replacing the key and
 * those with `more` true extending it (docs/PROTOCOL.md "Full resync").
 */
export type SnapshotEntry =
  | [string, Buffer, number, number, number]
  | [string, Buffer, number, number, number, string]
  | [string, Buffer[], number, number, number]
  | [string, Buffer[], number, number, number, boolean];

/** A list is cut into snapshot entries of about this many bytes of items... */
export const LIST_PIECE_BYTES = 256 * 1024;
/** ...or this many items, whichever comes first. */
export const LIST_PIECE_ITEMS = 4096;

/** The snapshot entries of a list with these items: the first replaces the key, the others extend it. */
export function listPieces(key: string, items: Buffer[], version: number, updated: number, expires: number): SnapshotEntry[] {
  const out: SnapshotEntry[] = [];
  let start = 0;
  while (start < items.length) {
    let end = start;
    let bytes = 0;
    while (end < items.length && end - start < LIST_PIECE_ITEMS && (bytes < LIST_PIECE_BYTES || end === start)) bytes += items[end++].length;
    const piece = items.slice(start, end);
    out.push(start === 0 ? [key, piece, version, updated, expires] : [key, piece, version, updated, expires, true]);
    start = end;
  }
  return out;
}

/**
 * One interface for every storage backend; adding a backend is one file. All methods are
 * synchronous: better-sqlite3 is, and a synchronous store lets the replica apply a write and
 * answer the reads queued behind it in one event-loop turn without interleaving.
 *
 * Reads take `now`, the router time of the request: a key whose expiry is at or before it is
 * absent. A replica never asks its own clock (docs/DESIGN.md "The router's clock").
 */
export interface Store {
  readonly kind: string;
  /** The position of the last applied write; (0,0) = empty. */
  position(): StoredPosition;
  /** The router time of the last applied write (0: none), kept with the position. */
  time(): number;
  /** The string at `key`; throws WRONG_TYPE when it holds a list (getStored too). */
  get(key: string, now: number): Buffer | undefined;
  /**
   * The value as the backend holds it, for answering a GET without a copy: a Buffer, or the
   * same bytes as Latin1Bytes (one character per byte), which the codec writes to the wire
   * straight from the string. A backend that holds Buffers returns get(key). Either form
   * must give exactly the bytes stored (the contract suite checks every byte value and size).
   */
  getStored(key: string, now: number): StoredBytes | undefined;
  has(key: string, now: number): boolean;
  /** The value with its version, updated time, expiry and content type, or undefined (a list: empty value, `list` its length). */
  entry(key: string, now: number): RawEntry | undefined;
  /** What the key holds at `now`, or undefined when it is absent. */
  typeOf(key: string, now: number): 'string' | 'list' | undefined;
  /** The length of the list at `key` (0: absent); throws WRONG_TYPE for a string. */
  listLength(key: string, now: number): number;
  /** Items start..stop of the list at `key` (Redis LRANGE indexes); [] when absent; throws WRONG_TYPE for a string. */
  list(key: string, start: number, stop: number, now: number): Buffer[];
  /**
   * Apply several consecutive writes in one transaction (group commit); the position becomes
   * the last one's. Returns the per-op results of each write. Throws (and changes nothing)
   * when any op is malformed.
   */
  apply(batches: WriteBatch[]): WriteResult[][];
  /** Up to `limit` live keys starting with `prefix`, strictly after `after` (null = from the start), in compareKeys order. */
  scan(prefix: string, after: string | null, limit: number, now: number): string[];
  /** A live key chosen at random (each about equally likely; RANDOMKEY), or undefined when none is live. */
  randomKey(now: number): string | undefined;
  /** Consistent snapshot as of now; later writes do not change what it yields. */
  snapshot(): StoreSnapshot;
  /** Wipe all data, position (0,0). */
  reset(): void;
  /** Bulk-load resync entries (no position change). */
  load(entries: SnapshotEntry[]): void;
  setPosition(position: StoredPosition, time?: number): void;
  /** Keys stored, including expired ones not yet removed. */
  count(): number;
  /** Keys stored with an expiry. */
  expiringCount(): number;
  /** The earliest expiry any key holds; 0 when none expires. */
  nextExpiry(): number;
  close(): void;
}

export interface StoreSnapshot {
  /** Next chunk of at most maxEntries entries / about maxBytes bytes, or null when done. */
  next(maxEntries: number, maxBytes: number): SnapshotEntry[] | null;
  close(): void;
}

export { applyOps, checkOps, type EntryMeta, type KvPrimitives, type RawEntry, type WriteContext } from './apply-ops';

/**
 * Validate every op of every batch before anything is applied, so a malformed write from the
 * stream fails cleanly with BAD_REQUEST instead of half-applying a group.
 */
export function checkBatches(batches: WriteBatch[]): void {
  for (const batch of batches) {
    checkPosition(batch);
    if (!Number.isSafeInteger(batch.time) || batch.time < 0) {
      throw KvndbError.badRequest(`write ${batch.seq} has no valid router time, got ${describe(batch.time)}`);
    }
    checkOps(batch.ops);
  }
}

/** A string's snapshot entry, with its content type when it has one. */
export function stringEntry(key: string, value: Buffer, version: number, updated: number, expires: number, contentType: string | null | undefined): SnapshotEntry {
  return contentType ? [key, value, version, updated, expires, contentType] : [key, value, version, updated, expires];
}

/** Validate resync entries before they are loaded. */
export function checkEntries(entries: unknown): asserts entries is SnapshotEntry[] {
  if (!Array.isArray(entries)) throw KvndbError.badRequest(`snapshot entries must be an array, got ${describe(entries)}`);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as unknown[];
    if (
      !Array.isArray(e) ||
      (e.length !== 5 && !(e.length === 6 && (typeof e[5] === 'boolean' ? Array.isArray(e[1]) : isContentType(e[5]) && e[1] instanceof Uint8Array))) ||
      typeof e[0] !== 'string' ||
      e[0].length === 0 ||
      !(e[1] instanceof Uint8Array || isItems(e[1])) ||
      !Number.isSafeInteger(e[2]) ||
      !Number.isSafeInteger(e[3]) ||
      !Number.isSafeInteger(e[4])
    ) {
      throw KvndbError.badRequest(
        `snapshot entry ${i} must be [key, bytes, version, updated, expires, contentType?] or [key, [bytes, ...], version, updated, expires, more?]`,
      );
    }
  }
}

function isContentType(x: unknown): boolean {
  try {
    checkContentType(x);
    return true;
  } catch {
    return false;
  }
}

/** A list piece's items: at least one, all bytes. */
function isItems(x: unknown): boolean {
  return Array.isArray(x) && x.length > 0 && x.every((v) => v instanceof Uint8Array);
}

/** A Buffer view of bytes without copying (better-sqlite3 binds Buffers). */
export function asBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Approximate wire size of one entry (a string's value or a list piece's items), for chunk sizing. */
export function entryBytes(key: string, value: Uint8Array | Uint8Array[]): number {
  if (!Array.isArray(value)) return key.length + value.length + 32;
  let n = key.length + 32;
  for (let i = 0; i < value.length; i++) n += value[i].length + 5;
  return n;
}

export function checkPosition(position: StoredPosition): void {
  const { epoch, seq } = position ?? ({} as StoredPosition);
  if (!Number.isSafeInteger(epoch) || epoch < 0 || !Number.isSafeInteger(seq) || seq < 0) {
    throw KvndbError.badRequest(`a position must be non-negative integers, got (${String(epoch)}, ${String(seq)})`);
  }
}
