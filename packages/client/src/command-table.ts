import type { Command } from './command-queue';

/** Ring slots to start with, and the most the ring grows to (a power of two each). */
const INITIAL_RING = 256;
const MAX_RING = 64 * 1024;

/**
 * The unfinished commands by id, in creation order: CommandQueue's `pending`.
 *
 * Ids are handed out one after another, so the live ones are the recent ones: a ring of
 * power-of-two size indexed by `id & mask` finds them with one array read, where a Map
 * cost a hash insert, lookup and delete per request. The ring covers the last `ring.length`
 * ids (the window); every id handed out moves the window on by one, and a command still
 * live in the slot it comes to is older than the whole window: the ring doubles to keep
 * it (a deep pipeline) until MAX_RING, after that it moves to `overflow` (a request far
 * slower than the ones after it). When ids wrap around to 1 the whole ring moves there.
 * So `overflow` holds only commands older than any in the ring, in creation order, and
 * creation order (which is deadline order) is overflow's order, then the ring's by id.
 */
export class CommandTable {
  private ring: (Command | undefined)[] = new Array<Command | undefined>(INITIAL_RING).fill(undefined);
  private mask = INITIAL_RING - 1;
  private readonly overflow = new Map<number, Command>();
  /** The newest id handed to add() since ids last wrapped; the window is (high - ring.length, high]. */
  private high = 0;
  /** No ring command has an id below this (a hint for oldest(), which moves it up). */
  private low = 1;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The command with this id, or undefined. `id` may be anything a peer sent. */
  get(id: number): Command | undefined {
    const cmd = this.ring[id & this.mask];
    if (cmd !== undefined && cmd.id === id) return cmd;
    return this.overflow.size > 0 ? this.overflow.get(id) : undefined;
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  /** Add a command whose id is newer than every id added since the last wrap(). */
  add(cmd: Command): void {
    const id = cmd.id;
    // Normally one step; ids skipped after a wrap (still in use) move the window too.
    while (this.high < id) {
      const passed = ++this.high;
      const old = this.ring[passed & this.mask];
      if (old !== undefined) this.makeRoom(old);
    }
    this.ring[id & this.mask] = cmd;
    this.count++;
  }

  /** Remove a command that is in the table. */
  delete(cmd: Command): void {
    const slot = cmd.id & this.mask;
    if (this.ring[slot] === cmd) this.ring[slot] = undefined;
    else this.overflow.delete(cmd.id);
    this.count--;
  }

  /** The oldest command, or undefined when the table is empty. */
  oldest(): Command | undefined {
    if (this.overflow.size > 0) return this.overflow.values().next().value;
    if (this.count === 0) return undefined;
    for (let id = Math.max(this.low, this.high - this.mask); id <= this.high; id++) {
      const cmd = this.ring[id & this.mask];
      if (cmd !== undefined && cmd.id === id) {
        this.low = id;
        return cmd;
      }
    }
    return undefined;
  }

  /** Every command, oldest first (a copy: the caller may delete while going through it). */
  values(): Command[] {
    const all = [...this.overflow.values()];
    for (let id = Math.max(this.low, this.high - this.mask); id <= this.high; id++) {
      const cmd = this.ring[id & this.mask];
      if (cmd !== undefined && cmd.id === id) all.push(cmd);
    }
    return all;
  }

  /** Ids start again from 1: everything in the ring is now older than what comes next. */
  wrap(): void {
    for (let id = Math.max(this.low, this.high - this.mask); id <= this.high; id++) {
      const slot = id & this.mask;
      const cmd = this.ring[slot];
      if (cmd !== undefined && cmd.id === id) {
        this.overflow.set(id, cmd);
        this.ring[slot] = undefined;
      }
    }
    this.high = 0;
    this.low = 1;
  }

  clear(): void {
    this.ring.fill(undefined);
    this.overflow.clear();
    this.count = 0;
  }

  /** `old` sits in the slot the window just moved onto: grow the ring to keep it, or move it out. */
  private makeRoom(old: Command): void {
    if (this.ring.length < MAX_RING) {
      // Doubling separates it from the new id (they are exactly one old ring length apart).
      const ring = new Array<Command | undefined>(this.ring.length * 2).fill(undefined);
      const mask = ring.length - 1;
      for (const cmd of this.ring) if (cmd !== undefined) ring[cmd.id & mask] = cmd;
      this.ring = ring;
      this.mask = mask;
      return;
    }
    this.ring[old.id & this.mask] = undefined;
    this.overflow.set(old.id, old);
  }
}
