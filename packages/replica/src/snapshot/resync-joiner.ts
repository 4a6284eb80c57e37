import { ErrorCode, KvndbError, Op, toKvndbError, type FramedConnection, type Logger } from '@kvndb/shared';
import type { SessionHost } from '../session/session-host';
import type { WriteApplier } from '../session/write-applier';
import type { Store, StoredPosition } from '../store/store';
import { SnapshotReceiver } from './snapshot-receiver';

/**
 * This replica as the joiner of a resync, on one router connection: SYNC_START (an
 * incremental catch-up, or a full resync that wipes the store and loads a snapshot),
 * SNAPSHOT_CHUNK, SNAPSHOT_END and the router's SNAPSHOT_ABORT of the snapshot being loaded.
 * A full resync that would discard writes this replica holds is refused.
 */
export class ResyncJoiner {
  private receiver: SnapshotReceiver | null = null;
  /** What the store held before a full resync of this session wiped it, until that resync's snapshot is in. */
  private heldBeforeResync: StoredPosition | null = null;

  constructor(
    private readonly conn: FramedConnection,
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly host: SessionHost,
    private readonly writes: WriteApplier,
  ) {}

  /** The resync whose snapshot is loading, or null. */
  get loadingResyncId(): number | null {
    return this.receiver === null ? null : this.receiver.resyncId;
  }

  get isLoading(): boolean {
    return this.receiver !== null;
  }

  /** The connection closed: what was loading is abandoned (the next join wipes it). */
  drop(): void {
    this.receiver = null;
  }

  onSyncStart(msg: unknown[]): void {
    const [, mode, epoch, seq, info] = msg;
    if (typeof epoch !== 'number' || typeof seq !== 'number') return this.host.fail('malformed SYNC_START');
    if (this.receiver !== null) {
      // The router restarted the resync: what was loaded so far is not a consistent state.
      this.logger.warn(`resync ${this.receiver.resyncId} replaced by a new SYNC_START; wiping the partial snapshot`);
      this.receiver = null;
      if (!this.wipePartialSnapshot()) return;
    }
    if (mode === 'incremental') {
      const pos = this.store.position();
      this.writes.resumeAfter(pos.seq);
      this.logger.info(`incremental catch-up from seq ${pos.seq} (router at epoch ${epoch}, seq ${seq})`);
      return;
    }
    if (mode !== 'full') return this.host.fail(`unknown SYNC_START mode ${String(mode)}`);
    const resyncId = (info as { resyncId?: unknown } | null)?.resyncId;
    if (typeof resyncId !== 'number') return this.host.fail('full SYNC_START without info.resyncId');
    // A resync that replaces an earlier one of this session is held to what the store had before that one wiped it.
    const own = this.heldBeforeResync ?? this.store.position();
    if (wouldDiscardWrites(own, epoch, seq)) return this.refuseResync(resyncId, own, epoch, seq);
    if (own.seq > 0) this.heldBeforeResync = own;
    this.store.reset();
    this.receiver = new SnapshotReceiver(resyncId, epoch, seq, this.store);
    this.writes.resumeAfter(seq);
    this.logger.info(`full resync ${resyncId}: store wiped, loading a snapshot taken at epoch ${epoch}, seq ${seq}`);
  }

  onSnapshotChunk(msg: unknown[]): void {
    const receiver = this.joinerFor(msg[1], 'SNAPSHOT_CHUNK');
    if (!receiver) return;
    try {
      receiver.load(msg[2]);
    } catch (err) {
      return this.host.fail(`cannot load snapshot chunk of resync ${receiver.resyncId}: ${toKvndbError(err).message}`);
    }
    this.conn.send([Op.SNAPSHOT_ACK, receiver.resyncId, 1]);
    if (receiver.chunksLoaded % 100 === 0) {
      this.logger.debug(`resync ${receiver.resyncId}: ${receiver.keysLoaded} keys, ${receiver.bytesLoaded} bytes loaded`);
    }
  }

  onSnapshotEnd(msg: unknown[]): void {
    const receiver = this.joinerFor(msg[1], 'SNAPSHOT_END');
    if (!receiver) return;
    this.receiver = null;
    try {
      receiver.finish(msg[2]);
    } catch (err) {
      this.logger.error(`${toKvndbError(err).message}; disconnecting to get a new full resync`);
      this.host.halt();
      this.conn.close(toKvndbError(err));
      return;
    }
    this.writes.resumeAfter(receiver.seq);
    this.heldBeforeResync = null;
    const secs = receiver.elapsedMs / 1000;
    this.logger.info(
      `resync ${receiver.resyncId}: snapshot loaded, ${receiver.keysLoaded} keys, ${receiver.bytesLoaded} bytes in ${secs.toFixed(1)} s; now at epoch ${receiver.epoch}, seq ${receiver.seq}`,
    );
  }

  /** SNAPSHOT_ABORT: when it is for the snapshot loading here, wipe it and wait for a new resync. Returns whether it was. */
  abort(resyncId: unknown, reason: string): boolean {
    if (this.receiver === null || this.receiver.resyncId !== resyncId) return false;
    this.logger.warn(`resync ${String(resyncId)} aborted by the router (${reason}); wiping and waiting for a new one`);
    this.receiver = null;
    if (!this.wipePartialSnapshot()) return true;
    this.writes.resumeAfter(0);
    return true;
  }

  private joinerFor(resyncId: unknown, what: string): SnapshotReceiver | null {
    if (this.receiver === null || this.receiver.resyncId !== resyncId) {
      this.host.fail(`${what} for resync ${String(resyncId)}, which this replica is not loading`);
      return null;
    }
    return this.receiver;
  }

  /**
   * Wipe what a full resync loaded so far. The store was reset when that resync began and
   * gets its position only at SNAPSHOT_END, so it is at (0,0): nothing in it is a write this
   * replica held. Should it ever have a real position, it is left alone and the connection
   * given up (returns false).
   */
  private wipePartialSnapshot(): boolean {
    const pos = this.store.position();
    if (pos.epoch !== 0 || pos.seq !== 0) {
      this.host.fail(`asked to drop a partial snapshot, but the store is at epoch ${pos.epoch}, seq ${pos.seq}; keeping it`);
      return false;
    }
    this.store.reset();
    return true;
  }

  /**
   * A full resync whose snapshot cannot hold every write this replica has: refuse it and
   * keep the store. The router hears it twice: SNAPSHOT_ABORT ends the resync (the source
   * stops streaming), and an ERROR frame with both positions in its details says why before
   * the connection closes. The replica reconnects as usual, still at its own position; only
   * its operator (`--reset`) can make it give those writes up.
   */
  private refuseResync(resyncId: number, own: StoredPosition, epoch: number, seq: number): void {
    const message =
      `refusing full resync ${resyncId}: its snapshot at epoch ${epoch}, seq ${seq} cannot hold every write this replica holds ` +
      `(epoch ${own.epoch}, seq ${own.seq}); loading it would discard them. The store is kept; ` +
      `restart this replica with --reset to discard its data and resync it`;
    this.logger.error(message);
    this.host.giveUp(
      new KvndbError(ErrorCode.REPLICA_ERROR, message, {
        details: { refused: 'resync-would-discard-writes', resyncId, replica: { ...own }, snapshot: { epoch, seq } },
      }),
      [Op.SNAPSHOT_ABORT, resyncId, `replica refused: it holds writes up to epoch ${own.epoch}, seq ${own.seq}`],
    );
  }
}

/**
 * Whether replacing a store at `own` with a snapshot taken at (epoch, seq) would lose writes
 * the store holds. Seqs are global and never repeat across epochs (a new epoch continues after
 * the seq it adopted), so a snapshot at a lower seq cannot contain all of them, and one at the
 * same seq in another epoch is another history. Position (0,0) holds nothing real (empty, or a
 * half-loaded snapshot) and may always be replaced. A snapshot at a higher seq passes this
 * check; whether it shares this replica's history is for the router to know.
 */
export function wouldDiscardWrites(own: StoredPosition, epoch: number, seq: number): boolean {
  if (own.seq === 0) return false;
  return seq < own.seq || (seq === own.seq && epoch !== own.epoch);
}
