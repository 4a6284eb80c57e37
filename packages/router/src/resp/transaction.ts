import type { TxnPart } from './commands/resp-command';

/**
 * The versions WATCH saw. WATCH's reads answer asynchronously, so each writes into the Watch
 * it started with: UNWATCH, DISCARD and EXEC start a new one, and a read answering after them
 * lands in the old one (EXEC waits for its own reads before it uses them).
 */
export class Watch {
  /** Key -> the version WATCH read (0: absent); the first WATCH of a key counts, as in Redis. */
  readonly versions = new Map<string, number>();
  /** A WATCH read failed: EXEC cannot know what changed, so it answers as if something had. */
  failed = false;
  /** WATCH reads not answered yet. */
  reading: Promise<void> | null = null;

  /** Wait for `read` as well before EXEC. */
  add(read: Promise<void>): void {
    this.reading = this.reading === null ? read : Promise.all([this.reading, read]).then(() => undefined);
  }
}

/**
 * A connection's MULTI/EXEC/WATCH state (docs/ARCHITECTURE.md "Transactions at the RESP
 * door"): the queued commands' parts of the one transaction EXEC sends, whether a queued
 * command was refused (EXEC then answers EXECABORT), and the watched versions.
 */
export class TransactionState {
  /** Null outside MULTI. */
  queued: TxnPart[] | null = null;
  /** A command was refused while queueing. */
  dirty = false;
  /** About how many bytes the queued commands' arguments take, against the frame limit. */
  bytes = 0;
  watch = new Watch();

  get inMulti(): boolean {
    return this.queued !== null;
  }

  /** Leave MULTI and forget the watched keys (EXEC, DISCARD); returns what there was. */
  finish(): { queued: TxnPart[]; dirty: boolean; watch: Watch } {
    const out = { queued: this.queued ?? [], dirty: this.dirty, watch: this.watch };
    this.queued = null;
    this.dirty = false;
    this.bytes = 0;
    this.watch = new Watch();
    return out;
  }
}
