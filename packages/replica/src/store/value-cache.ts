import { wrongType } from '@kvndb/shared';
import type { RawEntry } from './apply-ops';

/** A cached read: the value (null: the key was absent) and its expiry (0: none). */
export interface CachedValue {
  readonly value: Buffer | null;
  readonly expires: number;
}

/** Per-entry overhead counted against the bound besides key and value bytes (Map slot, object). */
const ENTRY_OVERHEAD_BYTES = 64;

/**
 * The SQLite store's recent reads, bounded by bytes, oldest filled first out. It is exact
 * because the store drops a key's entry in every primitive that changes the key, in the same
 * synchronous apply that commits the change, and fills entries only from the committed
 * database: a read after an acknowledged write misses and reads the file. Entries are
 * dropped on write rather than written through, so the cache never holds a slice of a
 * received frame (which would keep the whole frame alive).
 */
export class ValueCache {
  private readonly entries = new Map<string, CachedValue>();
  private bytes = 0;

  constructor(readonly maxBytes: number) {}

  get size(): number {
    return this.entries.size;
  }

  get usedBytes(): number {
    return this.bytes;
  }

  get(key: string): CachedValue | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: Buffer | null, expires: number): void {
    const cost = costOf(key, value);
    if (cost > this.maxBytes) return;
    this.delete(key);
    this.entries.set(key, { value, expires });
    this.bytes += cost;
    if (this.bytes > this.maxBytes) this.evict();
  }

  delete(key: string): void {
    const old = this.entries.get(key);
    if (old === undefined) return;
    this.entries.delete(key);
    this.bytes -= costOf(key, old.value);
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) return;
      this.entries.delete(key);
      this.bytes -= costOf(key, entry.value);
    }
  }
}

function costOf(key: string, value: Buffer | null): number {
  return ENTRY_OVERHEAD_BYTES + key.length * 2 + (value === null ? 0 : value.length);
}

/**
 * A string read through `cache`: a hit answers, a miss reads the entry from the committed
 * database with `load` and fills the cache with it (with its expiry, expired or not, so the
 * entry answers at any later time; a missing key is cached as absent). Lists are never
 * cached: a string read of a live one throws WRONG_TYPE.
 */
export function readThroughCache(
  cache: ValueCache,
  key: string,
  now: number,
  load: (key: string) => RawEntry | undefined,
): Buffer | undefined {
  let c = cache.get(key);
  if (c === undefined) {
    const e = load(key);
    const live = e !== undefined && (e.expires === 0 || e.expires > now);
    if (e !== undefined && e.list) {
      if (live) throw wrongType();
      return undefined;
    }
    c = e === undefined ? { value: null, expires: 0 } : { value: e.value as Buffer, expires: e.expires };
    cache.set(key, c.value, c.expires);
  }
  return c.value !== null && (c.expires === 0 || c.expires > now) ? c.value : undefined;
}
