/** Largest slab; smaller backlogs use slabs of a sixteenth of their size (at least 64 KiB). */
const MAX_SLAB_BYTES = 1024 * 1024;
const MIN_SLAB_BYTES = 64 * 1024;

/**
 * The last writes, as the encoded WRITE frames that were sent, bounded by bytes.
 * Incremental catch-up and the tail of a full resync replay frames from here, so a
 * returning replica receives byte-for-byte what the others received.
 *
 * Frames are copied into append-only slabs of up to 1 MiB and indexed by three typed-array
 * rings (slab, offset, length). Holding half a million small frames as Buffer objects cost
 * the router four to six times the configured size in heap and kept the garbage collector
 * busy; slabs hold the bytes at their size and give the collector nothing per frame to trace.
 * A slab is dropped once no frame in it is held. Sequence numbers are contiguous, so the
 * entry for `seq` sits at a fixed offset from the oldest one.
 */
export class WriteBacklog {
  readonly maxBytes: number;
  private readonly slabBytes: number;
  /** Slabs still holding at least one frame; slabs[0] is slab number `firstSlab`. */
  private slabs: Buffer[] = [];
  private firstSlab = 0;
  /** Bytes used in the newest slab. */
  private tailUsed = 0;
  // Entry rings: capacity `cap`, oldest entry at ring index `head`.
  private cap = 1024;
  private entrySlab = new Float64Array(this.cap);
  private entryOffset = new Float64Array(this.cap);
  private entryLength = new Float64Array(this.cap);
  /** What a reader attached to each entry (the change feed: the write's slimmed results). */
  private entryNote: unknown[] = new Array(this.cap);
  private head = 0;
  private count = 0;
  private first = 1; // seq of the oldest frame (when count > 0)
  private totalBytes = 0;

  constructor(maxBytes: number) {
    if (!(maxBytes > 0)) throw new RangeError(`backlog size must be positive, got ${maxBytes}`);
    this.maxBytes = maxBytes;
    this.slabBytes = Math.min(MAX_SLAB_BYTES, Math.max(MIN_SLAB_BYTES, Math.floor(maxBytes / 16)));
  }

  /** Forget everything; the next append must be `afterSeq + 1`. */
  reset(afterSeq: number): void {
    this.slabs = [];
    this.firstSlab = 0;
    this.tailUsed = 0;
    this.head = 0;
    this.count = 0;
    this.first = afterSeq + 1;
    this.totalBytes = 0;
    this.entryNote.fill(undefined);
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
  append(seq: number, frame: Uint8Array): void {
    if (seq !== this.lastSeq + 1) {
      throw new RangeError(`backlog append out of order: got seq ${seq}, expected ${this.lastSeq + 1}`);
    }
    const len = frame.length;
    let slab = this.slabs.length > 0 ? this.slabs[this.slabs.length - 1] : undefined;
    if (slab === undefined || slab.length - this.tailUsed < len) {
      slab = Buffer.allocUnsafeSlow(Math.max(this.slabBytes, len));
      this.slabs.push(slab);
      this.tailUsed = 0;
    }
    slab.set(frame, this.tailUsed);
    if (this.count === this.cap) this.grow();
    const at = (this.head + this.count) % this.cap;
    this.entrySlab[at] = this.firstSlab + this.slabs.length - 1;
    this.entryOffset[at] = this.tailUsed;
    this.entryLength[at] = len;
    this.entryNote[at] = undefined;
    this.tailUsed += len;
    this.count++;
    this.totalBytes += len;
    // Keep at least the newest frame even if it alone is over the limit.
    while (this.totalBytes > this.maxBytes && this.count > 1) this.evictOldest();
  }

  /**
   * Attach `note` to held write `seq` (nothing if it is not held): it lives and goes with
   * the frame, so whoever keeps something per write needs no ring of its own.
   */
  note(seq: number, note: unknown): void {
    if (this.has(seq)) this.entryNote[this.slotOf(seq)] = note;
  }

  /** The note attached to write `seq`; undefined when none was or it is not held. */
  noteOf(seq: number): unknown {
    return this.has(seq) ? this.entryNote[this.slotOf(seq)] : undefined;
  }

  has(seq: number): boolean {
    return seq >= this.first && seq < this.first + this.count;
  }

  get(seq: number): Buffer | undefined {
    if (!this.has(seq)) return undefined;
    return this.frameAt(this.slotOf(seq));
  }

  /** The ring index of held write `seq` (seqs are contiguous from the oldest, at `head`). */
  private slotOf(seq: number): number {
    return (this.head + (seq - this.first)) % this.cap;
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
      send(this.frameAt(this.slotOf(s)));
      sent++;
    }
    return sent;
  }

  /** A view of the entry at ring index `at` (slabs are append-only, so the bytes never change). */
  private frameAt(at: number): Buffer {
    const slab = this.slabs[this.entrySlab[at] - this.firstSlab];
    const offset = this.entryOffset[at];
    return slab.subarray(offset, offset + this.entryLength[at]);
  }

  private evictOldest(): void {
    const slabNo = this.entrySlab[this.head];
    this.totalBytes -= this.entryLength[this.head];
    this.entryNote[this.head] = undefined;
    this.head = (this.head + 1) % this.cap;
    this.count--;
    this.first++;
    // Drop the slabs no remaining frame lives in (count > 0: the newest frame stays).
    const oldest = this.entrySlab[this.head];
    if (oldest !== slabNo) {
      const drop = oldest - this.firstSlab;
      this.slabs.splice(0, drop);
      this.firstSlab = oldest;
    }
  }

  private grow(): void {
    const cap = this.cap * 2;
    const slabs = new Float64Array(cap);
    const offsets = new Float64Array(cap);
    const lengths = new Float64Array(cap);
    const notes: unknown[] = new Array(cap);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) % this.cap;
      slabs[i] = this.entrySlab[from];
      offsets[i] = this.entryOffset[from];
      lengths[i] = this.entryLength[from];
      notes[i] = this.entryNote[from];
    }
    this.entrySlab = slabs;
    this.entryOffset = offsets;
    this.entryLength = lengths;
    this.entryNote = notes;
    this.cap = cap;
    this.head = 0;
  }
}
