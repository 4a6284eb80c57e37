import BTree from 'sorted-btree';
import { compareKeys, storedToBuffer, toLatin1Bytes, type StoredBytes, type WriteResult } from '@kvndb/shared';
import {
  applyOps,
  checkBatches,
  checkEntries,
  checkPosition,
  entryBytes,
  type KvPrimitives,
  type Store,
  type StoredPosition,
  type StoreSnapshot,
  type WriteBatch,
} from './store';

/**
 * A stored value. Values under SMALL_VALUE bytes are kept as one-byte (Latin-1) strings, one
 * character per byte, on the V8 heap; bigger ones as Buffers of their own. Copying small
 * values into Buffers put them in Node's 8 KiB allocation pool, where one live value keeps
 * its whole pool slab alive: after 2M random overwrites of 200k 100-byte values a store held
 * 99 MB of slabs for 20 MB of values (RSS 323 MB). Strings are compacted by the garbage
 * collector: RSS 189 MB, and a put costs less (a real replica process under the same load:
 * RSS 369 -> 226 MB). get() copies a value back out; GET answers skip that copy, written from
 * the string itself (getStored, encodeLatin1BinFrame), which made the replica cheaper per GET.
 */
type Stored = StoredBytes;

/** Below this a value is stored as a string; at and above it Buffer.from allocates its own memory anyway. */
const SMALL_VALUE = Buffer.poolSize >>> 1;

function toStored(value: Uint8Array): Stored {
  const buf = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  // Values are copied on the way in: decoded `bin`s are views into socket chunks.
  return buf.length < SMALL_VALUE ? toLatin1Bytes(buf) : Buffer.from(buf);
}

const fromStored = storedToBuffer;

/**
 * In-memory backend: a Map for O(1) reads plus a B+ tree of keys (sorted-btree, ordered by
 * compareKeys) so KEYS pages and snapshots walk keys in order without sorting the keyspace.
 */
export class MemoryStore implements Store, KvPrimitives {
  readonly kind = 'memory';
  private map = new Map<string, Stored>();
  private index = new BTree<string, undefined>(undefined, compareKeys);
  private epoch = 0;
  private seq = 0;
  /** Open snapshots that need the prior value of a key before it changes. */
  private readonly snapshots = new Set<MemorySnapshot>();

  position(): StoredPosition {
    return { epoch: this.epoch, seq: this.seq };
  }

  get(key: string): Buffer | undefined {
    const v = this.map.get(key);
    return v === undefined ? undefined : fromStored(v);
  }

  getStored(key: string): StoredBytes | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  apply(batches: WriteBatch[]): WriteResult[][] {
    // Validate first: a Map has no rollback, so a bad op must be caught before any write.
    checkBatches(batches);
    const results: WriteResult[][] = new Array(batches.length);
    for (let i = 0; i < batches.length; i++) results[i] = applyOps(this, batches[i].ops);
    if (batches.length > 0) {
      const last = batches[batches.length - 1];
      this.epoch = last.epoch;
      this.seq = last.seq;
    }
    return results;
  }

  scan(prefix: string, after: string | null, limit: number): string[] {
    const out: string[] = [];
    if (limit <= 0) return out;
    let start = prefix;
    let exclusive = false;
    if (after !== null && compareKeys(after, prefix) >= 0) {
      start = after;
      exclusive = true;
    }
    // Keys sharing a prefix are contiguous in code point order, so stop at the first miss.
    for (const key of this.index.keys(start)) {
      if (exclusive && key === start) continue;
      if (!key.startsWith(prefix)) break;
      out.push(key);
      if (out.length >= limit) break;
    }
    return out;
  }

  snapshot(): StoreSnapshot {
    const snap = new MemorySnapshot(this.map, this.index, this.snapshots);
    this.snapshots.add(snap);
    return snap;
  }

  reset(): void {
    // Open snapshots keep the old map and tree, which nothing mutates from now on.
    this.snapshots.clear();
    this.map = new Map();
    this.index = new BTree<string, undefined>(undefined, compareKeys);
    this.epoch = 0;
    this.seq = 0;
  }

  load(entries: Array<[string, Uint8Array]>): void {
    checkEntries(entries);
    for (let i = 0; i < entries.length; i++) this.put(entries[i][0], entries[i][1]);
  }

  setPosition(position: StoredPosition): void {
    checkPosition(position);
    this.epoch = position.epoch;
    this.seq = position.seq;
  }

  count(): number {
    return this.map.size;
  }

  close(): void {
    this.reset();
  }

  // KvPrimitives, used by applyOps.

  read(key: string): Buffer | undefined {
    return this.get(key);
  }

  exists(key: string): boolean {
    return this.map.has(key);
  }

  put(key: string, value: Uint8Array): void {
    const map = this.map;
    if (this.snapshots.size > 0) this.preserve(key, map.get(key));
    // One hash lookup instead of get-then-set: a new key is one that grew the map.
    const before = map.size;
    map.set(key, toStored(value));
    if (map.size !== before) this.index.set(key, undefined);
  }

  remove(key: string): boolean {
    const prev = this.map.get(key);
    if (prev === undefined) return false;
    if (this.snapshots.size > 0) this.preserve(key, prev);
    this.map.delete(key);
    this.index.delete(key);
    return true;
  }

  private preserve(key: string, prev: Stored | undefined): void {
    for (const snap of this.snapshots) snap.preserve(key, prev);
  }
}

/**
 * Copy-on-write snapshot. It walks the live key tree in order, resuming after the last key it
 * emitted. The first change to a key it has not reached yet saves the key's value at snapshot
 * time (or null: absent) in the overlay, which wins over the live value. Keys deleted before
 * the walk reaches them are not in the tree any more, so their saved values are emitted at
 * the end. Memory is proportional to writes during the snapshot, not to the data.
 */
class MemorySnapshot implements StoreSnapshot {
  private readonly overlay = new Map<string, Stored | null>();
  private lastKey: string | undefined = undefined;
  private liveDone = false;
  private tail: Array<[string, Buffer]> | null = null;
  private tailPos = 0;
  private closed = false;

  constructor(
    private readonly map: Map<string, Stored>,
    private readonly index: BTree<string, undefined>,
    private readonly registry: Set<MemorySnapshot>,
  ) {}

  /** Called before `key` changes; `prev` is its current value (undefined = absent). */
  preserve(key: string, prev: Stored | undefined): void {
    if (this.liveDone) return;
    // Already emitted: later changes cannot affect what the snapshot yielded.
    if (this.lastKey !== undefined && compareKeys(key, this.lastKey) <= 0) return;
    if (!this.overlay.has(key)) this.overlay.set(key, prev ?? null);
  }

  next(maxEntries: number, maxBytes: number): Array<[string, Buffer]> | null {
    if (this.closed) return null;
    const out: Array<[string, Buffer]> = [];
    let bytes = 0;
    if (!this.liveDone) {
      const from = this.lastKey;
      for (const key of this.index.keys(from)) {
        if (key === from) continue;
        this.lastKey = key;
        let value: Buffer;
        const saved = this.overlay.get(key);
        if (saved !== undefined) {
          this.overlay.delete(key);
          if (saved === null) continue; // created after the snapshot
          value = fromStored(saved);
        } else {
          value = fromStored(this.map.get(key) as Stored);
        }
        out.push([key, value]);
        bytes += entryBytes(key, value);
        if (out.length >= maxEntries || bytes >= maxBytes) return out;
      }
      this.liveDone = true;
      this.registry.delete(this);
      // What is left in the overlay existed at snapshot time and was deleted before the walk got there.
      this.tail = [];
      for (const [key, value] of this.overlay) if (value !== null) this.tail.push([key, fromStored(value)]);
      this.overlay.clear();
    }
    const tail = this.tail as Array<[string, Buffer]>;
    while (this.tailPos < tail.length && out.length < maxEntries && bytes < maxBytes) {
      const entry = tail[this.tailPos++];
      out.push(entry);
      bytes += entryBytes(entry[0], entry[1]);
    }
    if (out.length > 0) return out;
    this.close();
    return null;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.registry.delete(this);
    this.overlay.clear();
    this.tail = null;
  }
}
