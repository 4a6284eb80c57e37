/**
 * The last writes, as the encoded WRITE frames that were sent, bounded by bytes.
 * Incremental catch-up and the tail of a full resync replay frames from here, so a
 * returning replica receives byte-for-byte what the others received.
 *
 * A ring buffer: sequence numbers are contiguous, so the frame for `seq` sits at a fixed
 * offset from the oldest one and lookup is O(1) without a Map.
 */
export class WriteBacklog {
  readonly maxBytes: number;
  private ring: Buffer[] = new Array<Buffer>(1024);
  private head = 0; // ring index of the oldest frame
  private count = 0;
  private first = 1; // seq of the oldest frame (when count > 0)
  private totalBytes = 0;

  constructor(maxBytes: number) {
    if (!(maxBytes > 0)) throw new RangeError(`backlog size must be positive, got ${maxBytes}`);
    this.maxBytes = maxBytes;
  }

  /** Forget everything; the next append must be `afterSeq + 1`. */
  reset(afterSeq: number): void {
    this.ring = new Array<Buffer>(1024);
    this.head = 0;
    this.count = 0;
    this.first = afterSeq + 1;
    this.totalBytes = 0;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get size(): number {
    return this.count;
  }

  /** Oldest seq held, or the next expected seq when empty. */
  get firstSeq(): number {
    return this.first;
  }

  /** Newest seq held, or firstSeq - 1 when empty. */
  get lastSeq(): number {
    return this.first + this.count - 1;
  }

  /** Append the frame of write `seq` (must be lastSeq + 1), evicting the oldest to stay in bounds. */
  append(seq: number, frame: Buffer): void {
    if (seq !== this.lastSeq + 1) {
      throw new RangeError(`backlog append out of order: got seq ${seq}, expected ${this.lastSeq + 1}`);
    }
    if (this.count === this.ring.length) this.grow();
    this.ring[(this.head + this.count) % this.ring.length] = frame;
    this.count++;
    this.totalBytes += frame.length;
    // Keep at least the newest frame even if it alone is over the limit.
    while (this.totalBytes > this.maxBytes && this.count > 1) this.evictOldest();
  }

  has(seq: number): boolean {
    return seq >= this.first && seq < this.first + this.count;
  }

  get(seq: number): Buffer | undefined {
    if (!this.has(seq)) return undefined;
    return this.ring[(this.head + (seq - this.first)) % this.ring.length];
  }

  /**
   * Whether a replica at `seq` can be brought to `lastSeq` from here: either it is already
   * there, or every write after it is still held.
   */
  canCatchUp(seq: number): boolean {
    return seq === this.lastSeq || this.has(seq + 1);
  }

  /** Call `send` with every frame after `seq`, oldest first. Caller checks canCatchUp first. */
  forEachAfter(seq: number, send: (frame: Buffer) => void): number {
    let sent = 0;
    for (let s = Math.max(seq + 1, this.first); s <= this.lastSeq; s++) {
      send(this.ring[(this.head + (s - this.first)) % this.ring.length]);
      sent++;
    }
    return sent;
  }

  private evictOldest(): void {
    const frame = this.ring[this.head];
    this.totalBytes -= frame.length;
    this.ring[this.head] = undefined as unknown as Buffer;
    this.head = (this.head + 1) % this.ring.length;
    this.count--;
    this.first++;
  }

  private grow(): void {
    const bigger = new Array<Buffer>(this.ring.length * 2);
    for (let i = 0; i < this.count; i++) bigger[i] = this.ring[(this.head + i) % this.ring.length];
    this.ring = bigger;
    this.head = 0;
  }
}
