import { Op, SNAPSHOT_CHUNK_BYTES, toKvndbError, type FramedConnection, type Logger } from '@kvndb/shared';
import type { StoreSnapshot } from '../store/store';

/** A chunk holds at most this many entries, and about SNAPSHOT_CHUNK_BYTES (shared). */
export const SNAPSHOT_CHUNK_ENTRIES = 2000;
export { SNAPSHOT_CHUNK_BYTES };

/**
 * Source side of a full resync: streams one consistent snapshot as SNAPSHOT_CHUNKs with
 * credit-based flow control (at most `window` chunks unacknowledged), then SNAPSHOT_END.
 * Each chunk is produced in its own macrotask (setImmediate) so the write stream and reads
 * keep being served on the same connection while a large store is streamed.
 */
export class SnapshotSender {
  readonly resyncId: number;
  private credits: number;
  private scheduled: NodeJS.Immediate | null = null;
  private finished = false;
  private keysSent = 0;
  private bytesSent = 0;
  private readonly startedAt = Date.now();

  constructor(
    private readonly conn: FramedConnection,
    private readonly snapshot: StoreSnapshot,
    resyncId: number,
    window: number,
    private readonly logger: Logger,
    private readonly onFinish: (sender: SnapshotSender) => void,
    /** The snapshot's key count, sent with the first chunk so the router can estimate an ETA. */
    private readonly expectedKeys?: number,
  ) {
    this.resyncId = resyncId;
    this.credits = window;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  start(): void {
    this.logger.info(`resync ${this.resyncId}: streaming a snapshot to the router`);
    this.schedule();
  }

  /** The router acknowledged `chunks` more chunks. */
  credit(chunks: number): void {
    if (this.finished) return;
    this.credits += chunks;
    this.schedule();
  }

  /** Stop streaming (SNAPSHOT_ABORT from the router, or the connection went away). */
  abort(reason: string): void {
    if (this.finished) return;
    this.logger.warn(`resync ${this.resyncId}: snapshot stream stopped after ${this.keysSent} keys: ${reason}`);
    this.finish();
  }

  private schedule(): void {
    if (this.scheduled === null && !this.finished && this.credits > 0) this.scheduled = setImmediate(this.pump);
  }

  private readonly pump = (): void => {
    this.scheduled = null;
    if (this.finished) return;
    if (this.conn.isClosed) return this.abort('connection closed');
    try {
      const chunk = this.snapshot.next(SNAPSHOT_CHUNK_ENTRIES, SNAPSHOT_CHUNK_BYTES);
      if (chunk === null) {
        this.conn.send([Op.SNAPSHOT_END, this.resyncId, this.keysSent]);
        const secs = Math.max(0.001, (Date.now() - this.startedAt) / 1000);
        this.logger.info(
          `resync ${this.resyncId}: snapshot sent, ${this.keysSent} keys, ${this.bytesSent} bytes in ${secs.toFixed(1)} s`,
        );
        this.finish();
        return;
      }
      if (this.keysSent === 0 && this.expectedKeys !== undefined) {
        this.conn.send([Op.SNAPSHOT_CHUNK, this.resyncId, chunk, this.expectedKeys]);
      } else {
        this.conn.send([Op.SNAPSHOT_CHUNK, this.resyncId, chunk]);
      }
      this.keysSent += chunk.length;
      for (let i = 0; i < chunk.length; i++) this.bytesSent += chunk[i][0].length + chunk[i][1].length;
      this.credits--;
      this.schedule();
    } catch (err) {
      const e = toKvndbError(err);
      this.logger.error(`resync ${this.resyncId}: cannot read the snapshot: ${e.message}`);
      this.conn.send([Op.SNAPSHOT_ABORT, this.resyncId, `source failed: ${e.message}`]);
      this.finish();
    }
  };

  private finish(): void {
    this.finished = true;
    if (this.scheduled !== null) {
      clearImmediate(this.scheduled);
      this.scheduled = null;
    }
    this.snapshot.close();
    this.onFinish(this);
  }
}
