/** Ring slots to start with, and the most the ring grows to before old entries spill into a Map. */
const INITIAL_SLOTS = 256;
const DEFAULT_MAX_SLOTS = 64 * 1024;

export interface IdRingOptions {
  /** Slots to start with (rounded up to a power of two); default 256. */
  initialSlots?: number;
  /**
   * The most slots the ring grows to (a power of two; default 64 Ki). An entry still live
   * when the ring would have to grow past it moves to a Map. Infinity: the ring always grows.
   */
  maxSlots?: number;
}

/**
 * Entries by request id (or seq), for ids handed out one after another: the live ones are
 * the recent ones, so a ring of power-of-two size indexed by `id & mask` finds them with one
 * array read, where a Map cost a hash insert, lookup and delete per request.
 *
 * The ring covers the last `slots` ids (the window); every id set moves the window on, and
 * an entry still live in the slot it comes to is older than the whole window: the ring
 * doubles to keep it (a deep pipeline) up to maxSlots; after that it moves to `overflow`
 * (a request far slower than the ones after it). When ids start again from 1 (restart()),
 * the whole ring moves there. So `overflow` holds only entries older than any in the ring,
 * in insertion order, and insertion order is overflow's order, then the ring's by id.
 *
 * Each slot remembers its id, so any number a peer sends can be looked up safely.
 */
export class IdRing<T> {
  private items: (T | undefined)[];
  private ids: Float64Array;
  private mask: number;
  private readonly maxSlots: number;
  private readonly overflow = new Map<number, T>();
  /** The newest id set since the last restart(); the window is (high - slots, high]. */
  private high = 0;
  /** No ring entry has an id below this (a hint for oldest(), which moves it up). */
  private low = 1;
  private count = 0;

  constructor(options: IdRingOptions = {}) {
    let slots = 1;
    while (slots < (options.initialSlots ?? INITIAL_SLOTS)) slots *= 2;
    this.items = new Array<T | undefined>(slots).fill(undefined);
    this.ids = new Float64Array(slots);
    this.mask = slots - 1;
    this.maxSlots = options.maxSlots ?? DEFAULT_MAX_SLOTS;
  }

  get size(): number {
    return this.count;
  }

  /** The newest id set (0 before any, and right after restart()). */
  get newestId(): number {
    return this.high;
  }

  /** The entry with this id, or undefined. `id` may be anything a peer sent. */
  get(id: number): T | undefined {
    const slot = id & this.mask;
    const item = this.items[slot];
    if (item !== undefined && this.ids[slot] === id) return item;
    return this.overflow.size > 0 ? this.overflow.get(id) : undefined;
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  /** Add `item` under the next id (newestId + 1) and return that id. */
  add(item: T): number {
    const id = this.high + 1;
    this.set(id, item);
    return id;
  }

  /** Add an entry whose id is newer than every id set since the last restart(). */
  set(id: number, item: T): void {
    if (id - this.high > this.items.length) {
      // A jump past the whole window: every entry in the ring is older than it.
      this.spill();
      this.high = id - 1;
    }
    // Normally one step; ids skipped (still in use after a restart) move the window too.
    while (this.high < id) {
      const slot = ++this.high & this.mask;
      if (this.items[slot] !== undefined) this.makeRoom(slot);
    }
    const slot = id & this.mask;
    this.items[slot] = item;
    this.ids[slot] = id;
    this.count++;
  }

  /** Remove and return the entry with this id, or undefined when there is none. */
  take(id: number): T | undefined {
    const slot = id & this.mask;
    const item = this.items[slot];
    if (item !== undefined && this.ids[slot] === id) {
      this.items[slot] = undefined;
      this.count--;
      return item;
    }
    if (this.overflow.size === 0) return undefined;
    const old = this.overflow.get(id);
    if (old !== undefined) {
      this.overflow.delete(id);
      this.count--;
    }
    return old;
  }

  /** Remove the entry with this id; returns whether there was one. */
  delete(id: number): boolean {
    return this.take(id) !== undefined;
  }

  /** The oldest entry, or undefined when there is none. */
  oldest(): T | undefined {
    if (this.overflow.size > 0) return this.overflow.values().next().value;
    if (this.count === 0) return undefined;
    for (let id = Math.max(this.low, this.high - this.mask); id <= this.high; id++) {
      const slot = id & this.mask;
      const item = this.items[slot];
      if (item !== undefined && this.ids[slot] === id) {
        this.low = id;
        return item;
      }
    }
    return undefined;
  }

  /** Every entry, oldest first (a copy: the caller may delete while going through it). */
  values(): T[] {
    const all = [...this.overflow.values()];
    for (let id = Math.max(this.low, this.high - this.mask); id <= this.high; id++) {
      const slot = id & this.mask;
      const item = this.items[slot];
      if (item !== undefined && this.ids[slot] === id) all.push(item);
    }
    return all;
  }

  /** Remove and return every entry for which `pred` is true, oldest first. */
  takeWhere(pred: (item: T) => boolean): T[] {
    const out: T[] = [];
    for (const [id, item] of this.overflow) {
      if (!pred(item)) continue;
      this.overflow.delete(id);
      this.count--;
      out.push(item);
    }
    for (let id = Math.max(this.low, this.high - this.mask); id <= this.high; id++) {
      const slot = id & this.mask;
      const item = this.items[slot];
      if (item === undefined || this.ids[slot] !== id || !pred(item)) continue;
      this.items[slot] = undefined;
      this.count--;
      out.push(item);
    }
    return out;
  }

  /** Remove and return every entry, oldest first. */
  takeAll(): T[] {
    const all = this.values();
    this.clear();
    return all;
  }

  /** Ids start again from 1: everything in the ring is now older than what comes next. */
  restart(): void {
    this.spill();
    this.high = 0;
    this.low = 1;
  }

  /** Move every ring entry to overflow, oldest first. */
  private spill(): void {
    for (let id = Math.max(this.low, this.high - this.mask); id <= this.high; id++) {
      const slot = id & this.mask;
      const item = this.items[slot];
      if (item !== undefined && this.ids[slot] === id) {
        this.overflow.set(id, item);
        this.items[slot] = undefined;
      }
    }
  }

  /** Forget every entry (ids go on from newestId). */
  clear(): void {
    this.items.fill(undefined);
    this.overflow.clear();
    this.count = 0;
  }

  /** The window just moved onto an occupied slot: grow the ring to keep its entry, or move it out. */
  private makeRoom(slot: number): void {
    const oldId = this.ids[slot];
    if (this.items.length < this.maxSlots) {
      // Doubling separates it from the new id (they are exactly one old ring length apart).
      const size = this.items.length * 2;
      const items = new Array<T | undefined>(size).fill(undefined);
      const ids = new Float64Array(size);
      const mask = size - 1;
      for (let i = 0; i < this.items.length; i++) {
        const item = this.items[i];
        if (item === undefined) continue;
        const id = this.ids[i];
        items[id & mask] = item;
        ids[id & mask] = id;
      }
      this.items = items;
      this.ids = ids;
      this.mask = mask;
      return;
    }
    this.overflow.set(oldId, this.items[slot] as T);
    this.items[slot] = undefined;
  }
}
