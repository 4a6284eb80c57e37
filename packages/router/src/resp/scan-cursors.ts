/**
 * SCAN's numeric cursors. Redis clients take the cursor for an unsigned integer (redis-py
 * int()s it, redis-cli strtoull()s it, node-redis and ioredis loop until it is "0"), but a
 * kvndb scan resumes after a key. So the router hands out numbers and remembers, per
 * number, the key the next page starts after. The table lives in the router (RespServer),
 * so a cursor works on any connection and whichever replica serves the next page: the
 * position is a key, and every in-sync replica pages in the same key order.
 *
 * Numbers come from a counter and are never handed out twice: a stale cursor (evicted,
 * expired, or from before a restart) is refused instead of resuming someone else's scan.
 * The counter starts at the router's start time in microseconds, so cursors from an earlier
 * run of the router do not collide with this run's (Number is exact up to 2^53, which that
 * leaves room for for centuries).
 *
 * Bounded: at most `maxLive` cursors not yet used (the oldest evicted first) and each
 * expires `ttlMs` after it was handed out. A used cursor is kept a while longer, apart
 * (`maxSpent`), so a client that re-sends the same SCAN (a retry after a reconnect) gets the
 * same page again, as with Redis, without used cursors crowding out live ones.
 */
export interface ScanCursorOptions {
  maxLive?: number;
  maxSpent?: number;
  ttlMs?: number;
  now?: () => number;
}

interface Entry {
  /** The key the next page starts after. */
  after: string;
  expiresAt: number;
}

/** The result of looking a cursor up: where to resume, or why not. */
export type CursorLookup = { ok: true; after: string | null } | { ok: false };

/** The largest cursor Redis clients can send: an unsigned 64-bit integer. */
const MAX_U64 = 18446744073709551615n;

export class ScanCursors {
  private readonly live = new Map<number, Entry>();
  private readonly spent = new Map<number, Entry>();
  private readonly maxLive: number;
  private readonly maxSpent: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private next: number;

  constructor(options: ScanCursorOptions = {}) {
    this.maxLive = options.maxLive ?? 10_000;
    this.maxSpent = options.maxSpent ?? 1_000;
    this.ttlMs = options.ttlMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
    this.next = this.now() * 1000 + 1;
  }

  /** Live cursors (not yet used), for tests and INFO. */
  get size(): number {
    return this.live.size;
  }

  /** A new cursor number for a scan to resume after key `after`. */
  issue(after: string): string {
    const now = this.now();
    const n = this.next++;
    this.live.set(n, { after, expiresAt: now + this.ttlMs });
    // Map order is issue order, and every entry lives ttlMs: the expired ones are in front.
    trim(this.live, this.maxLive, now);
    return String(n);
  }

  /**
   * Where the scan of cursor `text` resumes: "0" starts (after nothing); an unknown, expired,
   * evicted or malformed cursor is not ok (Redis's "invalid cursor").
   */
  lookup(text: string): CursorLookup {
    if (!/^[0-9]{1,20}$/.test(text) || BigInt(text) > MAX_U64) return { ok: false };
    const n = Number(text);
    if (n === 0) return { ok: true, after: null };
    const now = this.now();
    let entry = this.live.get(n);
    if (entry !== undefined) {
      this.live.delete(n);
      this.spent.set(n, entry);
      trim(this.spent, this.maxSpent, now);
    } else {
      entry = this.spent.get(n);
    }
    if (entry === undefined || entry.expiresAt <= now) return { ok: false };
    return { ok: true, after: entry.after };
  }
}

/** Drop the expired entries at the front, then the oldest past `max`. */
function trim(map: Map<number, Entry>, max: number, now: number): void {
  for (const [n, e] of map) {
    if (map.size <= max && e.expiresAt > now) break;
    map.delete(n);
  }
}
