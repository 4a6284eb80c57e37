import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Giving memory back after many keys leave the memory store (a mass expiry, FLUSHALL, a
 * reset). V8 frees the removed values only at its next major garbage collection, and an
 * idle process may not run one for a long time: after 1M keys expired, a replica stayed at
 * its peak RSS (about 500 MB) indefinitely; one full collection brings it back to about
 * 100 MB. So after a large removal, once removals have paused for a moment, we ask for
 * one. Node offers no gc() without --expose-gc, which `kvndb` is not started with; setting
 * the flag at run time and taking gc from a fresh context is the documented way around
 * that (v8.setFlagsFromString). Where that is unavailable, nothing happens and V8 collects
 * on its own schedule.
 */
let fullGc: (() => void) | null | undefined;

function gcFunction(): (() => void) | null {
  if (fullGc !== undefined) return fullGc;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    fullGc = typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    fullGc = null;
  }
  return fullGc;
}

/** Keys removed since the last collection above which one is worth its pause (tens of ms). */
const RECLAIM_AFTER_REMOVALS = 100_000;
/** Quiet time after the last large removal before collecting, so a mass expiry in many sweeps collects once. */
const QUIET_MS = 1000;

export class MemoryReclaim {
  private removed = 0;
  private timer: NodeJS.Timeout | undefined;

  /** `n` keys left the store. */
  noteRemoved(n: number): void {
    this.removed += n;
    if (this.removed < RECLAIM_AFTER_REMOVALS) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(this.collect, QUIET_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly collect = (): void => {
    this.timer = undefined;
    this.removed = 0;
    gcFunction()?.();
  };
}
