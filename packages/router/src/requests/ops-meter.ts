/**
 * Operation counts and their rates over the last few seconds. Counting is two integer
 * increments on the hot path; a once-a-second sample turns them into rates.
 */
export class OpsMeter {
  reads = 0;
  writes = 0;
  private readonly samples: Array<{ at: number; reads: number; writes: number }> = [];

  constructor(private readonly windowSamples = 5) {
    this.sample();
  }

  /** Call about once a second. */
  sample(now = Date.now()): void {
    this.samples.push({ at: now, reads: this.reads, writes: this.writes });
    if (this.samples.length > this.windowSamples + 1) this.samples.shift();
  }

  rates(now = Date.now()): { readsPerSec: number; writesPerSec: number } {
    const oldest = this.samples[0];
    const secs = (now - oldest.at) / 1000;
    if (secs <= 0) return { readsPerSec: 0, writesPerSec: 0 };
    return {
      readsPerSec: (this.reads - oldest.reads) / secs,
      writesPerSec: (this.writes - oldest.writes) / secs,
    };
  }
}
