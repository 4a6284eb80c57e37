import type { ReadRequest } from './read-request';

/** Past this many answered slots at the front, the window drops them (when they are most of it). */
const COMPACT_AFTER = 1024;

/**
 * The reads outstanding on one replica link, by id. Ids are handed out in order and a
 * replica answers in order, so a deque indexed by `id - baseId` replaces a hash map: adding
 * is a push, answering clears a slot and moves the front past answered ones. Ids start at 1.
 */
export class ReadWindow {
  /** items[i] is the read with id baseId + i; undefined once answered or expired. */
  private items: Array<ReadRequest | undefined> = [];
  private baseId = 1;
  /** Index of the oldest slot that may still be outstanding. */
  private start = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Register a read; returns its id. */
  add(req: ReadRequest): number {
    const id = this.baseId + this.items.length;
    this.items.push(req);
    this.count++;
    return id;
  }

  /** Remove and return the read with this id, or undefined if it is not outstanding. */
  take(id: unknown): ReadRequest | undefined {
    if (typeof id !== 'number') return undefined;
    const i = id - this.baseId;
    if (!(i >= this.start && i < this.items.length)) return undefined;
    const req = this.items[i];
    if (req === undefined) return undefined;
    this.items[i] = undefined;
    this.count--;
    if (i === this.start) this.trim();
    return req;
  }

  /** Remove and return every outstanding read, oldest first. */
  takeAll(): ReadRequest[] {
    const out: ReadRequest[] = [];
    for (let i = this.start; i < this.items.length; i++) {
      const req = this.items[i];
      if (req !== undefined) out.push(req);
    }
    this.baseId += this.items.length;
    this.items = [];
    this.start = 0;
    this.count = 0;
    return out;
  }

  /** Remove and return the reads for which `expired(req)` is true. */
  takeWhere(expired: (req: ReadRequest) => boolean): ReadRequest[] {
    const out: ReadRequest[] = [];
    for (let i = this.start; i < this.items.length; i++) {
      const req = this.items[i];
      if (req === undefined || !expired(req)) continue;
      this.items[i] = undefined;
      this.count--;
      out.push(req);
    }
    if (out.length > 0) this.trim();
    return out;
  }

  private trim(): void {
    const items = this.items;
    let start = this.start;
    while (start < items.length && items[start] === undefined) start++;
    if (start === items.length) {
      this.baseId += items.length;
      this.items = [];
      this.start = 0;
    } else if (start >= COMPACT_AFTER && start * 2 >= items.length) {
      this.baseId += start;
      this.items = items.slice(start);
      this.start = 0;
    } else {
      this.start = start;
    }
  }
}
