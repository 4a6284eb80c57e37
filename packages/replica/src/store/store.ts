import { KvndbError, describe, type SetFlags, type StoredBytes, type WriteOp, type WriteResult } from '@kvndb/shared';

/** Where a store is in the router's write stream. `(0, 0)` means empty. */
export interface StoredPosition {
  epoch: number;
  seq: number;
}

/** One sequenced write (a WRITE message): its ops are applied atomically. */
export interface WriteBatch {
  epoch: number;
  seq: number;
  ops: WriteOp[];
}

/**
 * One interface for every storage backend; adding a backend is one file. All methods are
 * synchronous: better-sqlite3 is, and a synchronous store lets the replica apply a write and
 * answer the reads queued behind it in one event-loop turn without interleaving.
 */
export interface Store {
  readonly kind: string;
  /** The position of the last applied write; (0,0) = empty. */
  position(): StoredPosition;
  get(key: string): Buffer | undefined;
  /**
   * The value as the backend holds it, for answering a GET without a copy: a Buffer, or the
   * same bytes as Latin1Bytes (one character per byte), which the codec writes to the wire
   * straight from the string. A backend that holds Buffers returns get(key). Either form
   * must give exactly the bytes stored (the contract suite checks every byte value and size).
   */
  getStored(key: string): StoredBytes | undefined;
  has(key: string): boolean;
  /**
   * Apply several consecutive writes in one transaction (group commit); the position becomes
   * the last one's. Returns the per-op results of each write. Throws (and changes nothing)
   * when any op is malformed.
   */
  apply(batches: WriteBatch[]): WriteResult[][];
  /** Up to `limit` keys starting with `prefix`, strictly after `after` (null = from the start), in compareKeys order. */
  scan(prefix: string, after: string | null, limit: number): string[];
  /** Consistent snapshot as of now; later writes do not change what it yields. */
  snapshot(): StoreSnapshot;
  /** Wipe all data, position (0,0). */
  reset(): void;
  /** Bulk-load resync entries (no position change). */
  load(entries: Array<[string, Uint8Array]>): void;
  setPosition(position: StoredPosition): void;
  count(): number;
  close(): void;
}

export interface StoreSnapshot {
  /** Next chunk of at most maxEntries entries / about maxBytes bytes, or null when done. */
  next(maxEntries: number, maxBytes: number): Array<[string, Buffer]> | null;
  close(): void;
}

/**
 * The primitive operations a backend offers to applyOps. Backends implement them as methods
 * (no per-op closures); applyOps holds the write semantics so every backend gives identical
 * results for NX/XX/GET and DEL.
 */
export interface KvPrimitives {
  read(key: string): Buffer | undefined;
  exists(key: string): boolean;
  put(key: string, value: Uint8Array): void;
  /** Remove a key; returns whether it existed. */
  remove(key: string): boolean;
}

/** Apply one write's ops in order and return their results. Ops must be valid (see checkOps). */
export function applyOps(target: KvPrimitives, ops: WriteOp[]): WriteResult[] {
  const results: WriteResult[] = new Array(ops.length);
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op[0] === 'd') {
      results[i] = target.remove(op[1]);
      continue;
    }
    const key = op[1];
    const flags = op.length > 3 ? (op[3] as SetFlags | null) : null;
    if (!flags || (!flags.nx && !flags.xx && !flags.get)) {
      target.put(key, op[2]);
      results[i] = true;
      continue;
    }
    // With GET we need the old value anyway; otherwise an existence check is cheaper.
    const previous = flags.get ? target.read(key) : undefined;
    const existed = flags.get ? previous !== undefined : target.exists(key);
    const applied = !(flags.nx && existed) && !(flags.xx && !existed);
    if (applied) target.put(key, op[2]);
    results[i] = flags.get ? [applied, previous ?? null] : applied;
  }
  return results;
}

/**
 * Validate every op of every batch before anything is applied, so a malformed write from the
 * stream fails cleanly with BAD_REQUEST instead of half-applying a group.
 */
export function checkBatches(batches: WriteBatch[]): void {
  for (const batch of batches) {
    checkPosition(batch);
    checkOps(batch.ops);
  }
}

export function checkOps(ops: unknown): asserts ops is WriteOp[] {
  if (!Array.isArray(ops)) throw KvndbError.badRequest(`write ops must be an array, got ${describe(ops)}`);
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as unknown[];
    if (!Array.isArray(op)) throw KvndbError.badRequest(`write op ${i} must be an array, got ${describe(op)}`);
    const key = op[1];
    if (typeof key !== 'string' || key.length === 0) {
      throw KvndbError.badRequest(`write op ${i} needs a non-empty string key, got ${describe(key)}`);
    }
    if (op[0] === 'd') {
      if (op.length !== 2) throw KvndbError.badRequest(`delete op ${i} must be ["d", key]`);
    } else if (op[0] === 's') {
      if (op.length !== 3 && op.length !== 4) throw KvndbError.badRequest(`set op ${i} must be ["s", key, value, flags?]`);
      if (!(op[2] instanceof Uint8Array)) throw KvndbError.badRequest(`set op ${i} value must be bytes, got ${describe(op[2])}`);
      const flags = op[3];
      if (flags !== undefined && flags !== null && (typeof flags !== 'object' || Array.isArray(flags) || flags instanceof Uint8Array)) {
        throw KvndbError.badRequest(`set op ${i} flags must be a map, got ${describe(flags)}`);
      }
    } else {
      throw KvndbError.badRequest(`write op ${i} has unknown kind ${JSON.stringify(op[0])} (expected "s" or "d")`);
    }
  }
}

/** Validate resync entries before they are loaded. */
export function checkEntries(entries: unknown): asserts entries is Array<[string, Uint8Array]> {
  if (!Array.isArray(entries)) throw KvndbError.badRequest(`snapshot entries must be an array, got ${describe(entries)}`);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as unknown[];
    if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string' || e[0].length === 0 || !(e[1] instanceof Uint8Array)) {
      throw KvndbError.badRequest(`snapshot entry ${i} must be [key, bytes]`);
    }
  }
}

/** A Buffer view of bytes without copying (better-sqlite3 binds Buffers). */
export function asBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Approximate wire size of one entry, for chunk sizing. */
export function entryBytes(key: string, value: Uint8Array): number {
  return key.length + value.length + 8;
}

export function checkPosition(position: StoredPosition): void {
  const { epoch, seq } = position ?? ({} as StoredPosition);
  if (!Number.isSafeInteger(epoch) || epoch < 0 || !Number.isSafeInteger(seq) || seq < 0) {
    throw KvndbError.badRequest(`a position must be non-negative integers, got (${String(epoch)}, ${String(seq)})`);
  }
}
