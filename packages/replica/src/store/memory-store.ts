import BTree from 'sorted-btree';
import Denque from 'denque';
import { MemoryReclaim } from './memory-reclaim';
import { compareKeys, listSpan, storedToBuffer, toLatin1Bytes, wrongType, type StoredBytes, type WriteResult } from '@kvndb/shared';
import {
  applyOps,
  checkBatches,
  checkEntries,
  checkPosition,
  entryBytes,
  listPieces,
  stringEntry,
  type EntryMeta,
  type KvPrimitives,
  type RawEntry,
  type SnapshotEntry,
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

/**
 * A list's items: a deque (denque, a ring buffer), so a push or pop at either end is O(1)
 * and LINDEX is O(1); items are Stored like values. While a snapshot is open a change works
 * on a copy (see Entry), as a SET stores a new Entry.
 */
class ListItems extends Denque<Stored> {}

const EMPTY = Buffer.alloc(0);

/**
 * One key: its value and metadata. While a snapshot is open a change stores a new Entry, so
 * the snapshot can keep the Entry a key had when it began; otherwise an overwrite of a key
 * without an expiry updates its Entry in place (no allocation per SET: the garbage it made
 * cost the replica a tenth more GC time under a SET load).
 */
class Entry implements EntryMeta {
  constructor(
    public v: Stored | ListItems,
    public version: number,
    public updated: number,
    public expires: number,
    /** A string's content type (undefined: none; a list never has one). Always present, so every Entry has one shape. */
    public contentType: string | undefined,
  ) {}

  /** EntryMeta's list length: 0 for a string. */
  get list(): number {
    const v = this.v;
    return typeof v === 'string' || !(v instanceof ListItems) ? 0 : v.length;
  }
}

/** The value of a live string entry; WRONG_TYPE for a list (one typeof for the usual small value). */
function stringOf(v: Stored | ListItems): Stored {
  if (typeof v === 'string' || !(v instanceof ListItems)) return v;
  throw wrongType();
}

/** The expiry index's key: keys by expiry time, then by key. */
interface Expiring {
  at: number;
  key: string;
}

function compareExpiring(a: Expiring, b: Expiring): number {
  return a.at - b.at || compareKeys(a.key, b.key);
}

function isLive(e: Entry | undefined, now: number): e is Entry {
  return e !== undefined && (e.expires === 0 || e.expires > now);
}

/** Below this a value is stored as a string; at and above it Buffer.from allocates its own memory anyway. */
const SMALL_VALUE = Buffer.poolSize >>> 1;

function toStored(value: Uint8Array): Stored {
  const buf = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  // Values are copied on the way in: decoded `bin`s are views into socket chunks.
  return buf.length < SMALL_VALUE ? toLatin1Bytes(buf) : Buffer.from(buf);
}

const fromStored = storedToBuffer;

/** A sorted-btree 2.x node: a leaf holds keys; an internal node its children, each caching its subtree's size. */
interface TreeNode {
  keys: string[];
  children?: TreeNode[];
  size(): number;
}

/**
 * The key at `index` in key order, in O(log n): sorted-btree has no indexed access in its
 * API, but its internal nodes cache their subtree sizes, so a walk down from the root by
 * index reaches the key directly. (A walk over the Map or an iterator to a random position
 * would cost O(n) per RANDOMKEY.) The memory-store tests check it against keys() order.
 */
export function keyAtIndex(tree: BTree<string, undefined>, index: number): string | undefined {
  let node = (tree as unknown as { _root: TreeNode })._root;
  if (index < 0 || index >= node.size()) return undefined;
  while (node.children !== undefined) {
    let i = 0;
    while (index >= node.children[i].size()) index -= node.children[i++].size();
    node = node.children[i];
  }
  return node.keys[index];
}

/**
 * In-memory backend: a Map for O(1) reads plus a B+ tree of keys (sorted-btree, ordered by
 * compareKeys) so KEYS pages and snapshots walk keys in order without sorting the keyspace.
 */
export class MemoryStore implements Store, KvPrimitives {
  readonly kind = 'memory';
  private map = new Map<string, Entry>();
  private index = new BTree<string, undefined>(undefined, compareKeys);
  /** Keys with an expiry, by (expiry, key): what a sweep removes first. */
  private expiring = new BTree<Expiring, undefined>(undefined, compareExpiring);
  private epoch = 0;
  private seq = 0;
  private lastTime = 0;
  /** Open snapshots that need the prior value of a key before it changes. */
  private readonly snapshots = new Set<MemorySnapshot>();
  private readonly reclaim = new MemoryReclaim();

  position(): StoredPosition {
    return { epoch: this.epoch, seq: this.seq };
  }

  time(): number {
    return this.lastTime;
  }

  get(key: string, now: number): Buffer | undefined {
    const e = this.map.get(key);
    return isLive(e, now) ? fromStored(stringOf(e.v)) : undefined;
  }

  getStored(key: string, now: number): StoredBytes | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    return e.expires === 0 || e.expires > now ? stringOf(e.v) : undefined;
  }

  typeOf(key: string, now: number): 'string' | 'list' | undefined {
    const e = this.map.get(key);
    if (!isLive(e, now)) return undefined;
    return e.v instanceof ListItems ? 'list' : 'string';
  }

  listLength(key: string, now: number): number {
    const e = this.map.get(key);
    if (!isLive(e, now)) return 0;
    if (!(e.v instanceof ListItems)) throw wrongType();
    return e.v.length;
  }

  list(key: string, start: number, stop: number, now: number): Buffer[] {
    const n = this.listLength(key, now);
    const span = listSpan(start, stop, n);
    return span === null ? [] : this.listRange(key, span[0], span[1]);
  }

  has(key: string, now: number): boolean {
    return isLive(this.map.get(key), now);
  }

  entry(key: string, now: number): RawEntry | undefined {
    const e = this.map.get(key);
    return isLive(e, now) ? rawOf(e) : undefined;
  }

  apply(batches: WriteBatch[]): WriteResult[][] {
    // Validate first: a Map has no rollback, so a bad op must be caught before any write.
    checkBatches(batches);
    const sizeBefore = this.map.size;
    const results: WriteResult[][] = new Array(batches.length);
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i];
      results[i] = applyOps(this, b.ops, { seq: b.seq, time: b.time });
    }
    if (batches.length > 0) {
      const last = batches[batches.length - 1];
      this.epoch = last.epoch;
      this.seq = last.seq;
      if (last.time > this.lastTime) this.lastTime = last.time;
    }
    // A mass expiry or deletion: memory goes back to the system once it pauses.
    if (this.map.size < sizeBefore) this.reclaim.noteRemoved(sizeBefore - this.map.size);
    return results;
  }

  scan(prefix: string, after: string | null, limit: number, now: number): string[] {
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
      if (this.expiring.size > 0 && !isLive(this.map.get(key), now)) continue;
      out.push(key);
      if (out.length >= limit) break;
    }
    return out;
  }

  randomKey(now: number): string | undefined {
    const n = this.index.size;
    if (n === 0) return undefined;
    // Each key equally likely. An expired key not yet swept is skipped by another draw; when
    // draws keep landing on expired keys (nearly all have expired and the sweep has not caught
    // up), the next live key in order after a random one, wrapping once.
    for (let tries = 0; tries < 8; tries++) {
      const key = keyAtIndex(this.index, Math.floor(Math.random() * n)) as string;
      if (isLive(this.map.get(key), now)) return key;
    }
    const start = keyAtIndex(this.index, Math.floor(Math.random() * n)) as string;
    for (const key of this.index.keys(start)) if (isLive(this.map.get(key), now)) return key;
    for (const key of this.index.keys()) {
      if (key === start) break;
      if (isLive(this.map.get(key), now)) return key;
    }
    return undefined;
  }

  snapshot(): StoreSnapshot {
    const snap = new MemorySnapshot(this.map, this.index, this.snapshots);
    this.snapshots.add(snap);
    return snap;
  }

  reset(): void {
    this.clear();
    this.epoch = 0;
    this.seq = 0;
    this.lastTime = 0;
  }

  load(entries: SnapshotEntry[]): void {
    checkEntries(entries);
    for (let i = 0; i < entries.length; i++) {
      const [key, value, version, updated, expires, more] = entries[i];
      // A string's sixth element is its content type (checkEntries checked it).
      if (!Array.isArray(value)) this.put(key, value, version, updated, expires, more as string | undefined);
      else {
        // A list's first piece replaces the key; the pieces after it (more) extend it.
        if (more !== true) this.remove(key);
        this.listPush(key, value, false, version, updated, expires);
      }
    }
  }

  setPosition(position: StoredPosition, time?: number): void {
    checkPosition(position);
    this.epoch = position.epoch;
    this.seq = position.seq;
    if (time !== undefined && time > this.lastTime) this.lastTime = time;
  }

  count(): number {
    return this.map.size;
  }

  expiringCount(): number {
    return this.expiring.size;
  }

  close(): void {
    this.reset();
    this.reclaim.stop();
  }

  // KvPrimitives, used by applyOps.

  rawEntry(key: string): RawEntry | undefined {
    const e = this.map.get(key);
    return e === undefined ? undefined : rawOf(e);
  }

  listRange(key: string, start: number, stop: number): Buffer[] {
    const items = (this.map.get(key) as Entry).v as ListItems;
    const out: Buffer[] = new Array(stop - start + 1);
    for (let i = start; i <= stop; i++) out[i - start] = fromStored(items.peekAt(i) as Stored);
    return out;
  }

  listPush(key: string, values: readonly Uint8Array[], left: boolean, version: number, updated: number, expires: number): number {
    const e = this.map.get(key);
    let items: ListItems;
    if (e === undefined) {
      items = new ListItems();
      this.store(key, new Entry(items, version, updated, expires, undefined));
    } else {
      items = this.changeList(key, e, version, updated);
    }
    for (let i = 0; i < values.length; i++) {
      const v = toStored(values[i]);
      if (left) items.unshift(v);
      else items.push(v);
    }
    return items.length;
  }

  listPop(key: string, count: number, left: boolean, version: number, updated: number): Buffer[] {
    const items = this.changeList(key, this.map.get(key) as Entry, version, updated);
    const n = Math.min(count, items.length);
    const out: Buffer[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = fromStored((left ? items.shift() : items.pop()) as Stored);
    if (items.length === 0) this.remove(key);
    return out;
  }

  listSet(key: string, index: number, value: Uint8Array, version: number, updated: number): void {
    const items = this.changeList(key, this.map.get(key) as Entry, version, updated);
    items.splice(index, 1, toStored(value));
  }

  /**
   * The items of list entry `e` to change in place, its version and time updated. With a
   * snapshot open they are a copy in a new Entry: the snapshot may hold the old one.
   */
  private changeList(key: string, e: Entry, version: number, updated: number): ListItems {
    if (this.snapshots.size > 0) {
      const copy = new ListItems((e.v as ListItems).toArray());
      this.store(key, new Entry(copy, version, updated, e.expires, undefined));
      return copy;
    }
    e.version = version;
    e.updated = updated;
    return e.v as ListItems;
  }

  meta(key: string): EntryMeta | undefined {
    return this.map.get(key);
  }

  put(key: string, value: Uint8Array, version: number, updated: number, expires: number, contentType?: string): void {
    if (expires === 0 && this.snapshots.size === 0) {
      const e = this.map.get(key);
      if (e !== undefined && e.expires === 0) {
        e.v = toStored(value);
        e.version = version;
        e.updated = updated;
        e.contentType = contentType;
        return;
      }
    }
    this.store(key, new Entry(toStored(value), version, updated, expires, contentType));
  }

  touch(key: string, version: number, updated: number, expires: number): void {
    const e = this.map.get(key);
    if (e !== undefined) this.store(key, new Entry(e.v, version, updated, expires, e.contentType));
  }

  remove(key: string): boolean {
    const prev = this.map.get(key);
    if (prev === undefined) return false;
    if (this.snapshots.size > 0) this.preserve(key, prev);
    this.map.delete(key);
    this.index.delete(key);
    if (prev.expires !== 0) this.expiring.delete({ at: prev.expires, key });
    return true;
  }

  expiredKeys(now: number, limit: number): string[] {
    const out: string[] = [];
    for (const x of this.expiring.keys()) {
      if (x.at > now || out.length >= limit) break;
      out.push(x.key);
    }
    return out;
  }

  nextExpiry(): number {
    return this.expiring.minKey()?.at ?? 0;
  }

  clear(): void {
    this.reclaim.noteRemoved(this.map.size);
    // Open snapshots keep the old map and tree, which nothing mutates from now on.
    this.snapshots.clear();
    this.map = new Map();
    this.index = new BTree<string, undefined>(undefined, compareKeys);
    this.expiring = new BTree<Expiring, undefined>(undefined, compareExpiring);
  }

  private store(key: string, entry: Entry): void {
    const map = this.map;
    const prev = map.get(key);
    if (this.snapshots.size > 0) this.preserve(key, prev);
    map.set(key, entry);
    if (prev === undefined) this.index.set(key, undefined);
    else if (prev.expires !== 0 && prev.expires !== entry.expires) this.expiring.delete({ at: prev.expires, key });
    if (entry.expires !== 0 && (prev === undefined || prev.expires !== entry.expires)) this.expiring.set({ at: entry.expires, key }, undefined);
  }

  private preserve(key: string, prev: Entry | undefined): void {
    for (const snap of this.snapshots) snap.preserve(key, prev);
  }
}

/** An entry as stores hand it out: the value as a Buffer of its own. */
function rawOf(e: Entry): RawEntry {
  const v = e.v;
  if (v instanceof ListItems) return { value: EMPTY, version: e.version, updated: e.updated, expires: e.expires, list: v.length };
  const raw: RawEntry = { value: fromStored(v), version: e.version, updated: e.updated, expires: e.expires };
  if (e.contentType !== undefined) raw.contentType = e.contentType;
  return raw;
}

/** A key's snapshot entries: one for a string, a list's items in pieces (listPieces). */
function snapshotEntries(key: string, e: Entry): SnapshotEntry[] {
  const v = e.v;
  if (!(v instanceof ListItems)) return [stringEntry(key, fromStored(v), e.version, e.updated, e.expires, e.contentType)];
  return listPieces(key, v.toArray().map(fromStored), e.version, e.updated, e.expires);
}

/**
 * Copy-on-write snapshot. It walks the live key tree in order, resuming after the last key it
 * emitted. The first change to a key it has not reached yet saves the key's value at snapshot
 * time (or null: absent) in the overlay, which wins over the live value. Keys deleted before
 * the walk reaches them are not in the tree any more, so their saved values are emitted at
 * the end. Memory is proportional to writes during the snapshot, not to the data.
 */
class MemorySnapshot implements StoreSnapshot {
  private readonly overlay = new Map<string, Entry | null>();
  private lastKey: string | undefined = undefined;
  private liveDone = false;
  /** Entries of a long list not yet sent: the next chunk starts with them. */
  private queued: SnapshotEntry[] = [];
  private tail: SnapshotEntry[] | null = null;
  private tailPos = 0;
  private closed = false;

  constructor(
    private readonly map: Map<string, Entry>,
    private readonly index: BTree<string, undefined>,
    private readonly registry: Set<MemorySnapshot>,
  ) {}

  /** Called before `key` changes; `prev` is its current value (undefined = absent). */
  preserve(key: string, prev: Entry | undefined): void {
    if (this.liveDone) return;
    // Already emitted: later changes cannot affect what the snapshot yielded.
    if (this.lastKey !== undefined && compareKeys(key, this.lastKey) <= 0) return;
    if (!this.overlay.has(key)) this.overlay.set(key, prev ?? null);
  }

  next(maxEntries: number, maxBytes: number): SnapshotEntry[] | null {
    if (this.closed) return null;
    const out: SnapshotEntry[] = [];
    let bytes = 0;
    while (this.queued.length > 0) {
      const entry = this.queued.shift()!;
      out.push(entry);
      bytes += entryBytes(entry[0], entry[1]);
      if (out.length >= maxEntries || bytes >= maxBytes) return out;
    }
    if (!this.liveDone) {
      const from = this.lastKey;
      for (const key of this.index.keys(from)) {
        if (key === from) continue;
        this.lastKey = key;
        let entries: SnapshotEntry[];
        const saved = this.overlay.get(key);
        if (saved !== undefined) {
          this.overlay.delete(key);
          if (saved === null) continue; // created after the snapshot
          entries = snapshotEntries(key, saved);
        } else {
          entries = snapshotEntries(key, this.map.get(key) as Entry);
        }
        // A long list's pieces may spread over several chunks (queued).
        for (let j = 0; j < entries.length; j++) {
          if (out.length >= maxEntries || bytes >= maxBytes) {
            this.queued = entries.slice(j);
            return out;
          }
          out.push(entries[j]);
          bytes += entryBytes(key, entries[j][1]);
        }
        if (out.length >= maxEntries || bytes >= maxBytes) return out;
      }
      this.liveDone = true;
      this.registry.delete(this);
      // What is left in the overlay existed at snapshot time and was deleted before the walk got there.
      this.tail = [];
      for (const [key, value] of this.overlay) if (value !== null) this.tail.push(...snapshotEntries(key, value));
      this.overlay.clear();
    }
    const tail = this.tail as SnapshotEntry[];
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
