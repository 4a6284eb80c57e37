import { Op, toKvndbError, type FramedConnection, type Logger } from '@kvndb/shared';
import type { SessionHost } from '../session/session-host';
import type { Store } from '../store/store';
import { SnapshotSender } from './snapshot-sender';

/**
 * This replica as the source of full resyncs, on one router connection: SNAPSHOT_REQUEST
 * starts a SnapshotSender for a resync, SNAPSHOT_CREDIT paces it, SNAPSHOT_ABORT stops it.
 * Several resyncs (of several joiners) may stream at once, each by its resync id.
 */
export class SnapshotSource {
  private readonly senders = new Map<number, SnapshotSender>();

  constructor(
    private readonly conn: FramedConnection,
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly host: SessionHost,
  ) {}

  /** Resyncs this replica is currently the source of. */
  get active(): number {
    return this.senders.size;
  }

  /** SNAPSHOT_REQUEST: stream a snapshot, unless this replica is not at the requested seq or is itself loading one. */
  onRequest(msg: unknown[], loadingSnapshot: boolean): void {
    const [, resyncId, epoch, seq, window] = msg;
    if (typeof resyncId !== 'number' || typeof epoch !== 'number' || typeof seq !== 'number' || typeof window !== 'number' || window < 1) {
      return this.host.fail('malformed SNAPSHOT_REQUEST');
    }
    const pos = this.store.position();
    if (pos.seq !== seq || loadingSnapshot) {
      const reason = loadingSnapshot ? 'source is itself loading a snapshot' : `source is at seq ${pos.seq}, not ${seq}`;
      this.logger.warn(`resync ${resyncId}: cannot be the source: ${reason}`);
      this.conn.send([Op.SNAPSHOT_ABORT, resyncId, reason]);
      return;
    }
    this.senders.get(resyncId)?.abort('replaced by a new request with the same id');
    let snapshot;
    let expectedKeys: number;
    try {
      // Counted at the same instant as the snapshot, so it is the snapshot's size: the router's ETA.
      expectedKeys = this.store.count();
      snapshot = this.store.snapshot();
    } catch (err) {
      const e = toKvndbError(err);
      this.logger.error(`resync ${resyncId}: cannot take a snapshot: ${e.message}`);
      this.conn.send([Op.SNAPSHOT_ABORT, resyncId, `source failed: ${e.message}`]);
      return;
    }
    const sender = new SnapshotSender(this.conn, snapshot, resyncId, window, this.logger, this.onSenderFinished, expectedKeys);
    this.senders.set(resyncId, sender);
    sender.start();
  }

  onCredit(msg: unknown[]): void {
    const n = msg[2];
    if (typeof n !== 'number' || n < 0) return this.host.fail('malformed SNAPSHOT_CREDIT');
    // Credits for a stream that already ended are normal: the router acks the last chunks late.
    this.senders.get(msg[1] as number)?.credit(n);
  }

  /** SNAPSHOT_ABORT: stop the stream of that resync, if this replica is its source. Returns whether it was. */
  abort(resyncId: unknown, reason: string): boolean {
    const sender = this.senders.get(resyncId as number);
    if (!sender) return false;
    sender.abort(`the router aborted it: ${reason}`);
    return true;
  }

  /** Stop every stream (the connection is closing or given up). */
  abortAll(reason: string): void {
    for (const sender of [...this.senders.values()]) sender.abort(reason);
    this.senders.clear();
  }

  private readonly onSenderFinished = (sender: SnapshotSender): void => {
    if (this.senders.get(sender.resyncId) === sender) this.senders.delete(sender.resyncId);
  };
}
