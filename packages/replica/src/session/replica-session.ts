import { COMMANDS_BY_OP, KvndbError, Op, OP_NAMES, describe, type FramedConnection, type Logger } from '@kvndb/shared';
import { ResyncJoiner } from '../snapshot/resync-joiner';
import { SnapshotSource } from '../snapshot/snapshot-source';
import type { Store } from '../store/store';
import type { SessionHost } from './session-host';
import { ReadServer } from './read-server';
import { RouterTime } from './router-time';
import { WriteApplier } from './write-applier';

export interface ReplicaSessionHooks {
  /** SYNC_DONE arrived: the replica now serves reads. */
  onInSync(): void;
}

/**
 * One connection's worth of the replica link, after WELCOME: takes each frame from the router
 * to the part that owns it — the write stream (WriteApplier, group commit), reads
 * (ReadServer), resync as joiner (ResyncJoiner) or as source (SnapshotSource) — and gives up
 * on the connection when the protocol is broken. Everything is tied to this connection; a
 * reconnect gets a new session.
 */
export class ReplicaSession implements SessionHost {
  private inSync = false;
  /** Set once we gave up on this connection: frames still in the socket chunk are ignored. */
  private gaveUp = false;
  /** The router time reads are judged by. */
  private readonly clock: RouterTime;
  private readonly writes: WriteApplier;
  private readonly reads: ReadServer;
  private readonly joiner: ResyncJoiner;
  private readonly source: SnapshotSource;

  constructor(
    private readonly conn: FramedConnection,
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly hooks: ReplicaSessionHooks,
  ) {
    this.clock = new RouterTime(store.time());
    this.writes = new WriteApplier(conn, store, logger, this, this.clock);
    this.reads = new ReadServer(conn, store, this, this.writes, this.clock);
    this.joiner = new ResyncJoiner(conn, store, logger, this, this.writes);
    this.source = new SnapshotSource(conn, store, logger, this);
    // Installing the handler delivers the frames that arrived before the session took over.
    conn.onMessage = this.onMessage;
    conn.once('close', this.onClose);
  }

  /** Whether SYNC_DONE arrived (and no SYNC_START since): the replica serves reads. */
  get isInSync(): boolean {
    return this.inSync;
  }

  /** Resyncs this replica is currently the source of. */
  get activeSnapshots(): number {
    return this.source.active;
  }

  get failed(): boolean {
    return this.gaveUp;
  }

  get loadingResyncId(): number | null {
    return this.joiner.loadingResyncId;
  }

  private readonly onMessage = (msg: unknown): void => {
    if (this.gaveUp) return;
    if (!Array.isArray(msg)) return this.fail(`message is not an array (${describe(msg)})`);
    const op = msg[0];
    if (op === Op.WRITE) return this.writes.accept(msg);
    // Anything else sees every write that arrived before it.
    if (this.writes.hasPending) this.writes.flush();
    if (this.gaveUp || this.conn.isClosed) return;
    switch (op) {
      case Op.CLOCK:
        if (typeof msg[1] !== 'number') return this.fail('malformed CLOCK (expected [CLOCK, time])');
        return this.clock.advance(msg[1]);
      case Op.PING:
        return this.reads.onRead(msg);
      case Op.SYNC_START:
        this.inSync = false;
        return this.joiner.onSyncStart(msg);
      case Op.SNAPSHOT_CHUNK:
        return this.joiner.onSnapshotChunk(msg);
      case Op.SNAPSHOT_END:
        return this.joiner.onSnapshotEnd(msg);
      case Op.SNAPSHOT_ABORT:
        return this.onSnapshotAbort(msg);
      case Op.SNAPSHOT_REQUEST:
        return this.source.onRequest(msg, this.joiner.isLoading);
      case Op.SNAPSHOT_CREDIT:
        return this.source.onCredit(msg);
      case Op.SYNC_DONE:
        return this.onSyncDone(msg);
      case Op.RESULT:
        // The router's PONG to our heartbeat PING (id 0); we send no other requests.
        if (msg[1] === 0) return;
        return this.fail(`unexpected RESULT ${String(msg[1])} from the router`);
      case Op.ERROR:
        // The router reports a connection-level problem and closes; say what it was.
        this.logger.warn(`router reported ${String(msg[2])}: ${String(msg[3])}`);
        return;
      default:
        if (COMMANDS_BY_OP[op as number]?.serve !== undefined) return this.reads.onRead(msg);
        return this.fail(`unexpected message ${OP_NAMES[op as number] ?? String(op)} from the router`);
    }
  };

  /** SNAPSHOT_ABORT ends a stream this replica is the source of, or the snapshot it is loading. */
  private onSnapshotAbort(msg: unknown[]): void {
    const resyncId = msg[1];
    const reason = typeof msg[2] === 'string' ? msg[2] : 'no reason given';
    if (this.source.abort(resyncId, reason)) return;
    if (this.joiner.abort(resyncId, reason)) return;
    this.logger.debug(`SNAPSHOT_ABORT for resync ${String(resyncId)}, which is not running here`);
  }

  private onSyncDone(msg: unknown[]): void {
    if (this.joiner.isLoading) return this.fail('SYNC_DONE while a snapshot is still loading');
    const pos = this.store.position();
    if (typeof msg[2] === 'number' && msg[2] !== pos.seq) {
      this.logger.warn(`SYNC_DONE says seq ${msg[2]} but this replica is at seq ${pos.seq}`);
    }
    this.inSync = true;
    this.logger.info(`in sync with the router at epoch ${pos.epoch}, seq ${pos.seq} (${this.store.kind} store)`);
    this.hooks.onInSync();
  }

  private readonly onClose = (): void => {
    this.writes.drop();
    this.joiner.drop();
    this.source.abortAll('connection to the router closed');
  };

  /** Something the protocol does not allow: tell the router, close; reconnecting resyncs us. */
  fail(reason: string, log = true): void {
    if (this.gaveUp) return;
    if (log) this.logger.error(`protocol error from the router: ${reason}; disconnecting`);
    this.giveUp(KvndbError.protocol(reason));
  }

  giveUp(err: KvndbError, lastWords?: unknown[]): void {
    this.gaveUp = true;
    this.writes.drop();
    this.source.abortAll('giving up on this connection');
    if (lastWords !== undefined) this.conn.send(lastWords);
    this.conn.sendErrorAndClose(err);
  }

  halt(): void {
    this.gaveUp = true;
  }
}
