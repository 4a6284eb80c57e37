/**
 * The router's clock (docs/DESIGN.md "The router's clock"): milliseconds that never go
 * back, also across restarts, because every replica records the time of the last write it
 * applied and the clock starts no lower than any replica that joins. The router stamps every
 * write and every read with it; replicas judge expiry by the stamp alone, so every replica
 * answers the same request the same way even when the machines' clocks disagree.
 */
export class RouterClock {
  private last = 0;

  constructor(private readonly wall: () => number = Date.now) {}

  /** Now: the wall clock, or the last time given out if the wall clock went back. */
  now(): number {
    const t = this.wall();
    if (t > this.last) this.last = t;
    return this.last;
  }

  /** Never give out less than `time` (a replica's recorded time, the state file's). */
  atLeast(time: number): void {
    if (Number.isSafeInteger(time) && time > this.last) this.last = time;
  }
}
