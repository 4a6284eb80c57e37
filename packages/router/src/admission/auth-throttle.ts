/**
 * Slows down password guessing: every failed authentication is answered after a delay
 * that doubles with each recent failure from the same address (200 ms, 400 ms, ... up to
 * 5 s). A quiet minute forgets the address. The table is bounded so a flood of addresses
 * cannot grow it without limit.
 */
export class AuthThrottle {
  private readonly failures = new Map<string, { count: number; last: number }>();
  /**
   * Failed handshakes per address still waiting out their delay. The delay alone only slows
   * a guesser who waits for each answer; one who opens many connections at once would get
   * many guesses per delay. Past `maxPendingPerAddress` such connections, new ones from that
   * address are turned away before any proof is checked.
   */
  private readonly pending = new Map<string, number>();
  /** Failures since the router started (the metrics' auth failures of the native door). */
  failuresTotal = 0;

  constructor(
    private readonly baseDelayMs = 200,
    private readonly maxDelayMs = 5000,
    private readonly forgetAfterMs = 60_000,
    private readonly maxEntries = 10_000,
    readonly maxPendingPerAddress = 16,
  ) {}

  /** Whether `address` already has the most failed handshakes allowed waiting for their answer. */
  blocked(address: string): boolean {
    return (this.pending.get(address) ?? 0) >= this.maxPendingPerAddress;
  }

  /** A failed handshake from `address` starts waiting out its delay... */
  pendingStart(address: string): void {
    this.pending.set(address, (this.pending.get(address) ?? 0) + 1);
  }

  /** ...and is answered (or its connection went away). */
  pendingEnd(address: string): void {
    const n = (this.pending.get(address) ?? 0) - 1;
    if (n > 0) this.pending.set(address, n);
    else this.pending.delete(address);
  }

  /** Record a failure from `address`; returns how long to wait before answering. */
  fail(address: string, now = Date.now()): number {
    this.failuresTotal++;
    let entry = this.failures.get(address);
    if (!entry || now - entry.last > this.forgetAfterMs) {
      if (this.failures.size >= this.maxEntries) this.prune(now);
      entry = { count: 0, last: now };
      this.failures.set(address, entry);
    }
    entry.count++;
    entry.last = now;
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(entry.count - 1, 16));
  }

  /** Recent failures from `address`. */
  count(address: string): number {
    return this.failures.get(address)?.count ?? 0;
  }

  succeed(address: string): void {
    this.failures.delete(address);
  }

  private prune(now: number): void {
    for (const [addr, e] of this.failures) if (now - e.last > this.forgetAfterMs) this.failures.delete(addr);
    // Still full: drop the oldest entries (Map keeps insertion order).
    for (const addr of this.failures.keys()) {
      if (this.failures.size < this.maxEntries) break;
      this.failures.delete(addr);
    }
  }
}
