import { KvndbError } from '@kvndb/shared';
import { checkEntries, type Store } from '../store/store';

/**
 * Joiner side of a full resync. The store was wiped (position (0,0)) when the resync began and
 * only gets its position back once the whole snapshot is in, so a resync that dies half way
 * leaves "data at (0,0)", which the replica wipes before it joins again.
 */
export class SnapshotReceiver {
  private keys = 0;
  private bytes = 0;
  private chunks = 0;
  private readonly startedAt = Date.now();

  constructor(
    readonly resyncId: number,
    /** The position the snapshot was taken at. */
    readonly epoch: number,
    readonly seq: number,
    private readonly store: Store,
  ) {}

  get keysLoaded(): number {
    return this.keys;
  }

  get bytesLoaded(): number {
    return this.bytes;
  }

  get chunksLoaded(): number {
    return this.chunks;
  }

  get elapsedMs(): number {
    return Date.now() - this.startedAt;
  }

  /** Load one SNAPSHOT_CHUNK's entries. Throws BAD_REQUEST on malformed entries. */
  load(entries: unknown): void {
    checkEntries(entries);
    this.store.load(entries);
    this.keys += entries.length;
    this.chunks++;
    for (let i = 0; i < entries.length; i++) this.bytes += entries[i][0].length + entries[i][1].length;
  }

  /**
   * SNAPSHOT_END: check the source's key count against what arrived and, when it matches,
   * store the snapshot's position. Throws when the stream was truncated.
   */
  finish(totalKeys: unknown): void {
    if (totalKeys !== this.keys) {
      throw KvndbError.protocol(
        `truncated snapshot for resync ${this.resyncId}: loaded ${this.keys} keys, the source reported ${String(totalKeys)}`,
      );
    }
    this.store.setPosition({ epoch: this.epoch, seq: this.seq });
  }
}
