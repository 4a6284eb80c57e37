import { KvndbError, describe, type StoredBytes, type WriteOp, type WriteResult } from '@kvndb/shared';
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

/** One key in a snapshot: [key, value, version, updated, expires]. */
export type SnapshotEntry = [string, Buffer, number, number, number];

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
  get(key: string, now: number): Buffer | undefined;
  /**
   * The value as the backend holds it, for answering a GET without a copy: a Buffer, or the
   * same bytes as Latin1Bytes (one character per byte), which the codec writes to the wire
   * straight from the string. A backend that holds Buffers returns get(key). Either form
   * must give exactly the bytes stored (the contract suite checks every byte value and size).
   */
  getStored(key: string, now: number): StoredBytes | undefined;
  has(key: string, now: number): boolean;
  /** The value with its version, updated time and expiry, or undefined. */
  entry(key: string, now: number): RawEntry | undefined;
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

/** Validate resync entries before they are loaded. */
export function checkEntries(entries: unknown): asserts entries is SnapshotEntry[] {
  if (!Array.isArray(entries)) throw KvndbError.badRequest(`snapshot entries must be an array, got ${describe(entries)}`);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as unknown[];
    if (
      !Array.isArray(e) ||
      e.length !== 5 ||
      typeof e[0] !== 'string' ||
      e[0].length === 0 ||
      !(e[1] instanceof Uint8Array) ||
      !Number.isSafeInteger(e[2]) ||
      !Number.isSafeInteger(e[3]) ||
      !Number.isSafeInteger(e[4])
    ) {
      throw KvndbError.badRequest(`snapshot entry ${i} must be [key, bytes, version, updated, expires]`);
    }
  }
}

/** A Buffer view of bytes without copying (better-sqlite3 binds Buffers). */
export function asBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Approximate wire size of one entry, for chunk sizing. */
export function entryBytes(key: string, value: Uint8Array): number {
  return key.length + value.length + 32;
}

export function checkPosition(position: StoredPosition): void {
  const { epoch, seq } = position ?? ({} as StoredPosition);
  if (!Number.isSafeInteger(epoch) || epoch < 0 || !Number.isSafeInteger(seq) || seq < 0) {
    throw KvndbError.badRequest(`a position must be non-negative integers, got (${String(epoch)}, ${String(seq)})`);
  }
}
