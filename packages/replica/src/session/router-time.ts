/**
 * The router's clock as this replica last heard it, from CLOCK frames and WRITE stamps.
 * Reads are judged by it (a key expired at or before it is absent), never by this
 * process's own clock, so every replica answers the same request the same way
 * (docs/DESIGN.md "The router's clock"). The router's clock never goes back, so neither
 * does this.
 */
export class RouterTime {
  constructor(public now: number) {}

  advance(time: number): void {
    if (time > this.now) this.now = time;
  }
}
