/** Thresholds on a level that grows while a consumer falls behind (bytes queued, replies owed). */
export interface Watermarks {
  /** Above this the producer is paused. */
  high: number;
  /** At or below this a paused producer resumes. */
  low: number;
  /** Above this the consumer is cut off (Infinity: never). */
  hard: number;
  /**
   * How long the level must stay above `high` before the producer is paused (default 0):
   * one large value passing through is not slowness.
   */
  graceMs?: number;
}

/** What a Backpressure does at each watermark; the owner decides what pausing means. */
export interface PressureActions {
  /** The level went above `high` (for graceMs). Return false to decline; it is offered again on the next update. */
  pause(level: number): boolean | void;
  /** A paused level came down to `low`. */
  resume(level: number): void;
  /** The level went above `hard`: cut the consumer off. Called once. */
  overflow(level: number): void;
}

/**
 * The one backpressure rule of kvndb's connections (client sessions, replica links, RESP
 * sessions, a replica's read answers): pause the producer above `high`, resume it at or
 * below `low` (hysteresis, so it does not flap), cut the consumer off above `hard`, so
 * nothing buffers without bound. Call update(level) whenever the level may have changed
 * (after queuing output, on 'drain'); below `high` and not paused it costs two comparisons.
 */
export class Backpressure {
  /** The producer is paused (pause() accepted and resume() not yet called). */
  paused = false;
  /** The level went above `hard` (overflow() was called). */
  overflowed = false;
  /** When the level went above `high` (Date.now()), 0 while it is not. */
  private overSince = 0;

  constructor(
    readonly marks: Watermarks,
    private readonly actions: PressureActions,
  ) {
    if (!(marks.low <= marks.high && marks.high <= marks.hard)) {
      throw new RangeError(`watermarks must satisfy low <= high <= hard, got ${marks.low}, ${marks.high}, ${marks.hard}`);
    }
  }

  /** Look at the level after it changed; returns whether the producer is paused. */
  update(level: number): boolean {
    const marks = this.marks;
    if (level > marks.high) {
      if (level > marks.hard) {
        if (!this.overflowed) {
          this.overflowed = true;
          this.actions.overflow(level);
        }
        return this.paused;
      }
      if (this.paused) return true;
      const grace = marks.graceMs ?? 0;
      if (grace > 0) {
        const now = Date.now();
        if (this.overSince === 0) this.overSince = now;
        if (now - this.overSince < grace) return false;
      }
      if (this.actions.pause(level) !== false) this.paused = true;
      return this.paused;
    }
    if (this.overSince !== 0) this.overSince = 0;
    if (this.paused && level <= marks.low) {
      this.paused = false;
      this.actions.resume(level);
    }
    return this.paused;
  }
}
