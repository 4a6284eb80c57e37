import {
  COMMANDS_BY_OP,
  ErrorCode,
  KvndbError,
  FRAME_HEADER_BYTES,
  Op,
  encodeLatin1BinFrame,
  OP_NAMES,
  describe,
  toKvndbError,
  Backpressure,
  type FramedConnection,
  type Latin1Bytes,
  type Logger,
  type WriteOp,
  type WriteResult,
} from '@kvndb/shared';
import { SnapshotReceiver } from '../snapshot/snapshot-receiver';
import { SnapshotSender } from '../snapshot/snapshot-sender';
import type { Store, StoredPosition, WriteBatch } from '../store/store';

/**
 * Answers waiting to be sent above which further reads wait for the connection to drain.
 * Writes do not wait: a client pipelining GETs of large values must not hold up another
 * client's SET behind gigabytes of answers, nor grow this process by as much.
 */
const READ_ANSWERS_HIGH_WATER = 8 * 1024 * 1024;
/**
 * Read pacing as the shared Backpressure rule: paused above the mark (reads queue in
 * deferredReads), going on once the answers are back at it. No hard limit: what waits is
 * the router's own reads, which it bounds.
 */
const READ_ANSWER_MARKS = { high: READ_ANSWERS_HIGH_WATER, low: READ_ANSWERS_HIGH_WATER, hard: Infinity };
const NO_ACTIONS = { pause() {}, resume() {}, overflow() {} };

/** Acks per WRITE_ACKS frame: keeps it within the small-frame writer's array size. */
const ACKS_PER_FRAME = 64;

/** Whether a write's results hold a value (the [applied, old value] of SET with GET). */
function carriesValue(results: WriteResult[]): boolean {
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    if (typeof r !== 'boolean' && r[1] !== null) return true;
  }
  return false;
}

export interface ReplicaSessionHooks {
  /** SYNC_DONE arrived: the replica now serves reads. */
  onInSync(): void;
}

/**
 * One connection's worth of the replica link, after WELCOME: applies the write stream
 * (group commit), answers reads, and takes part in resync as joiner or as source.
 * Everything is tied to this connection; a reconnect gets a new session.
 */
export class ReplicaSession {
  private inSync = false;
  /** WRITEs received in this event-loop turn, applied together in one store transaction. */
  private pending: WriteBatch[] = [];
  private flushScheduled = false;
  /** Seq of the last write accepted (applied or pending): the next must be this + 1. */
  private lastSeq: number;
  private receiver: SnapshotReceiver | null = null;
  private readonly senders = new Map<number, SnapshotSender>();
  /** What the store held before a full resync of this session wiped it, until that resync's snapshot is in. */
  private heldBeforeResync: StoredPosition | null = null;
  /** Reads waiting for the answers before them to drain (oldest first). */
  private deferredReads: unknown[][] = [];
  private readonly readPacing = new Backpressure(READ_ANSWER_MARKS, NO_ACTIONS);
  private drainArmed = false;
  /** Set once we gave up on this connection: frames still in the socket chunk are ignored. */
  private failed = false;

  constructor(
    private readonly conn: FramedConnection,
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly hooks: ReplicaSessionHooks,
  ) {
    this.lastSeq = store.position().seq;
    conn.onMessage = this.onMessage;
    conn.once('close', this.onClose);
  }

  /** Handle frames that arrived before the session took over the connection. */
  get isInSync(): boolean {
    return this.inSync;
  }

  /** Resyncs this replica is currently the source of. */
  get activeSnapshots(): number {
    return this.senders.size;
  }

  private readonly onMessage = (msg: unknown): void => {
    if (this.failed) return;
    if (!Array.isArray(msg)) return this.fail(`message is not an array (${describe(msg)})`);
    const op = msg[0];
    if (op === Op.WRITE) return this.onWrite(msg);
    // Anything else sees every write that arrived before it.
    if (this.pending.length > 0) this.flushWrites();
    if (this.failed || this.conn.isClosed) return;
    switch (op) {
      case Op.GET:
      case Op.HAS:
      case Op.MGET:
      case Op.KEYS:
      case Op.PING:
        return this.onRead(msg);
      case Op.SYNC_START:
        return this.onSyncStart(msg);
      case Op.SNAPSHOT_CHUNK:
        return this.onSnapshotChunk(msg);
      case Op.SNAPSHOT_END:
        return this.onSnapshotEnd(msg);
      case Op.SNAPSHOT_ABORT:
        return this.onSnapshotAbort(msg);
      case Op.SNAPSHOT_REQUEST:
        return this.onSnapshotRequest(msg);
      case Op.SNAPSHOT_CREDIT:
        return this.onSnapshotCredit(msg);
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
        return this.fail(`unexpected message ${OP_NAMES[op as number] ?? String(op)} from the router`);
    }
  };

  private onWrite(msg: unknown[]): void {
    const epoch = msg[1];
    const seq = msg[2];
    const ops = msg[3];
    if (msg.length !== 4 || typeof epoch !== 'number' || typeof seq !== 'number' || !Array.isArray(ops)) {
      return this.fail('malformed WRITE (expected [WRITE, epoch, seq, ops])');
    }
    if (this.receiver !== null) {
      return this.fail(`WRITE ${seq} arrived while snapshot ${this.receiver.resyncId} is still loading`);
    }
    if (seq !== this.lastSeq + 1) {
      this.logger.warn(
        `gap in the write stream: expected seq ${this.lastSeq + 1}, got ${seq}; disconnecting so the router resyncs this replica`,
      );
      return this.fail(`write stream gap: expected seq ${this.lastSeq + 1}, got ${seq}`, false);
    }
    this.lastSeq = seq;
    this.pending.push({ epoch, seq, ops: ops as WriteOp[] });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flushWrites);
    }
  }

  /** Group commit: every WRITE of this turn in one store transaction, then one ack each. */
  private readonly flushWrites = (): void => {
    this.flushScheduled = false;
    const group = this.pending;
    if (group.length === 0 || this.failed || this.conn.isClosed) return;
    this.pending = [];
    let results;
    try {
      results = this.store.apply(group);
    } catch (err) {
      const e = toKvndbError(err);
      this.logger.error(
        `cannot apply writes ${group[0].seq}..${group[group.length - 1].seq}: ${e.message}; disconnecting to be resynced`,
      );
      this.lastSeq = this.store.position().seq;
      this.failed = true;
      this.conn.sendErrorAndClose(new KvndbError(ErrorCode.REPLICA_ERROR, `cannot apply writes: ${e.message}`));
      return;
    }
    // Consecutive writes share one ack frame per run of up to ACKS_PER_FRAME. A result with a
    // value in it (SET ... GET: the old value, up to the value limit) is a run of its own, so
    // no ack frame can outgrow the frame limit.
    let from = 0;
    for (let i = 1; i <= group.length; i++) {
      if (i === group.length || i - from === ACKS_PER_FRAME || carriesValue(results[i]) || carriesValue(results[i - 1])) {
        const seq = group[from].seq;
        this.conn.send(i - from === 1 ? [Op.WRITE_ACK, seq, results[from]] : [Op.WRITE_ACKS, seq, results.slice(from, i)]);
        from = i;
      }
    }
  };

  /**
   * A read waits, in order, while the answers already queued exceed the high-water mark.
   * Writes that arrive meanwhile are applied and acknowledged at once, so a waiting read
   * may see writes sequenced after it: it is still in flight, so it is concurrent with them,
   * and answering with the newer value is linearizable.
   */
  private onRead(msg: unknown[]): void {
    if (this.deferredReads.length > 0 || this.readPacing.update(this.conn.bufferedBytes)) {
      this.deferredReads.push(msg);
      this.armDrain();
      return;
    }
    this.answer(msg);
  }

  private armDrain(): void {
    if (this.drainArmed) return;
    this.drainArmed = true;
    // Answers still staged in the connection reach the socket at the end of this turn;
    // until the socket itself is backed up no 'drain' will come, so look again next turn.
    if (this.conn.stream.writableNeedDrain) this.conn.once('drain', this.answerDeferred);
    else setImmediate(this.answerDeferred);
  }

  private readonly answerDeferred = (): void => {
    if (!this.drainArmed) return;
    this.drainArmed = false;
    this.conn.off('drain', this.answerDeferred);
    if (this.failed || this.conn.isClosed) return;
    if (this.pending.length > 0) this.flushWrites();
    while (this.deferredReads.length > 0 && !this.readPacing.update(this.conn.bufferedBytes)) {
      this.answer(this.deferredReads.shift()!);
    }
    if (this.deferredReads.length > 0) this.armDrain();
  };

  private answer(msg: unknown[]): void {
    const id = msg[1];
    if (typeof id !== 'number') return this.fail(`${OP_NAMES[msg[0] as number]} without a request id`);
    let value: unknown;
    try {
      value = this.read(msg);
    } catch (err) {
      const e = toKvndbError(err);
      // Bad arguments are the caller's fault; anything else is this replica failing.
      const code = e.code === ErrorCode.BAD_REQUEST ? e.code : ErrorCode.REPLICA_ERROR;
      this.conn.send([Op.ERROR, id, code, e.message, null]);
      return;
    }
    // A GET of a value the store holds as Latin1Bytes (Store.getStored): written from the string.
    if (typeof value === 'string' && msg[0] === Op.GET) {
      const frame = encodeLatin1BinFrame(Op.RESULT, id, value as Latin1Bytes);
      if (frame.length - FRAME_HEADER_BYTES <= this.conn.maxFrameBytes) return this.conn.sendFrame(frame);
      value = Buffer.from(value, 'latin1');
    }
    this.conn.send([Op.RESULT, id, value]);
  }

  /** A read's answer from the store, as its command defines it (shared/commands). */
  private read(msg: unknown[]): unknown {
    const command = COMMANDS_BY_OP[msg[0] as number];
    if (command?.serve === undefined) throw KvndbError.badRequest(`${OP_NAMES[msg[0] as number]} is not a read`);
    return command.serve(this.store, msg);
  }

  private onSyncStart(msg: unknown[]): void {
    const [, mode, epoch, seq, info] = msg;
    if (typeof epoch !== 'number' || typeof seq !== 'number') return this.fail('malformed SYNC_START');
    this.inSync = false;
    if (this.receiver !== null) {
      // The router restarted the resync: what was loaded so far is not a consistent state.
      this.logger.warn(`resync ${this.receiver.resyncId} replaced by a new SYNC_START; wiping the partial snapshot`);
      this.receiver = null;
      if (!this.wipePartialSnapshot()) return;
    }
    if (mode === 'incremental') {
      const pos = this.store.position();
      this.lastSeq = pos.seq;
      this.logger.info(`incremental catch-up from seq ${pos.seq} (router at epoch ${epoch}, seq ${seq})`);
      return;
    }
    if (mode !== 'full') return this.fail(`unknown SYNC_START mode ${String(mode)}`);
    const resyncId = (info as { resyncId?: unknown } | null)?.resyncId;
    if (typeof resyncId !== 'number') return this.fail('full SYNC_START without info.resyncId');
    // A resync that replaces an earlier one of this session is held to what the store had before that one wiped it.
    const own = this.heldBeforeResync ?? this.store.position();
    if (wouldDiscardWrites(own, epoch, seq)) return this.refuseResync(resyncId, own, epoch, seq);
    if (own.seq > 0) this.heldBeforeResync = own;
    this.store.reset();
    this.receiver = new SnapshotReceiver(resyncId, epoch, seq, this.store);
    this.lastSeq = seq;
    this.logger.info(`full resync ${resyncId}: store wiped, loading a snapshot taken at epoch ${epoch}, seq ${seq}`);
  }

  private onSnapshotChunk(msg: unknown[]): void {
    const receiver = this.joinerFor(msg[1], 'SNAPSHOT_CHUNK');
    if (!receiver) return;
    try {
      receiver.load(msg[2]);
    } catch (err) {
      return this.fail(`cannot load snapshot chunk of resync ${receiver.resyncId}: ${toKvndbError(err).message}`);
    }
    this.conn.send([Op.SNAPSHOT_ACK, receiver.resyncId, 1]);
    if (receiver.chunksLoaded % 100 === 0) {
      this.logger.debug(`resync ${receiver.resyncId}: ${receiver.keysLoaded} keys, ${receiver.bytesLoaded} bytes loaded`);
    }
  }

  private onSnapshotEnd(msg: unknown[]): void {
    const receiver = this.joinerFor(msg[1], 'SNAPSHOT_END');
    if (!receiver) return;
    this.receiver = null;
    try {
      receiver.finish(msg[2]);
    } catch (err) {
      this.logger.error(`${toKvndbError(err).message}; disconnecting to get a new full resync`);
      this.failed = true;
      this.conn.close(toKvndbError(err));
      return;
    }
    this.lastSeq = receiver.seq;
    this.heldBeforeResync = null;
    const secs = receiver.elapsedMs / 1000;
    this.logger.info(
      `resync ${receiver.resyncId}: snapshot loaded, ${receiver.keysLoaded} keys, ${receiver.bytesLoaded} bytes in ${secs.toFixed(1)} s; now at epoch ${receiver.epoch}, seq ${receiver.seq}`,
    );
  }

  private onSnapshotAbort(msg: unknown[]): void {
    const resyncId = msg[1];
    const reason = typeof msg[2] === 'string' ? msg[2] : 'no reason given';
    const sender = this.senders.get(resyncId as number);
    if (sender) {
      sender.abort(`the router aborted it: ${reason}`);
      return;
    }
    if (this.receiver !== null && this.receiver.resyncId === resyncId) {
      this.logger.warn(`resync ${String(resyncId)} aborted by the router (${reason}); wiping and waiting for a new one`);
      this.receiver = null;
      if (!this.wipePartialSnapshot()) return;
      this.lastSeq = 0;
      return;
    }
    this.logger.debug(`SNAPSHOT_ABORT for resync ${String(resyncId)}, which is not running here`);
  }

  private onSnapshotRequest(msg: unknown[]): void {
    const [, resyncId, epoch, seq, window] = msg;
    if (typeof resyncId !== 'number' || typeof epoch !== 'number' || typeof seq !== 'number' || typeof window !== 'number' || window < 1) {
      return this.fail('malformed SNAPSHOT_REQUEST');
    }
    const pos = this.store.position();
    if (pos.seq !== seq || this.receiver !== null) {
      const reason = this.receiver !== null ? 'source is itself loading a snapshot' : `source is at seq ${pos.seq}, not ${seq}`;
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

  private onSnapshotCredit(msg: unknown[]): void {
    const n = msg[2];
    if (typeof n !== 'number' || n < 0) return this.fail('malformed SNAPSHOT_CREDIT');
    // Credits for a stream that already ended are normal: the router acks the last chunks late.
    this.senders.get(msg[1] as number)?.credit(n);
  }

  private onSyncDone(msg: unknown[]): void {
    if (this.receiver !== null) return this.fail('SYNC_DONE while a snapshot is still loading');
    const pos = this.store.position();
    if (typeof msg[2] === 'number' && msg[2] !== pos.seq) {
      this.logger.warn(`SYNC_DONE says seq ${msg[2]} but this replica is at seq ${pos.seq}`);
    }
    this.inSync = true;
    this.logger.info(`in sync with the router at epoch ${pos.epoch}, seq ${pos.seq} (${this.store.kind} store)`);
    this.hooks.onInSync();
  }

  private joinerFor(resyncId: unknown, what: string): SnapshotReceiver | null {
    if (this.receiver === null || this.receiver.resyncId !== resyncId) {
      this.fail(`${what} for resync ${String(resyncId)}, which this replica is not loading`);
      return null;
    }
    return this.receiver;
  }

  private readonly onSenderFinished = (sender: SnapshotSender): void => {
    if (this.senders.get(sender.resyncId) === sender) this.senders.delete(sender.resyncId);
  };

  private readonly onClose = (): void => {
    this.pending = [];
    this.receiver = null;
    for (const sender of [...this.senders.values()]) sender.abort('connection to the router closed');
    this.senders.clear();
  };

  /**
   * Wipe what a full resync loaded so far. The store was reset when that resync began and
   * gets its position only at SNAPSHOT_END, so it is at (0,0): nothing in it is a write this
   * replica held. Should it ever have a real position, it is left alone and the connection
   * given up (returns false).
   */
  private wipePartialSnapshot(): boolean {
    const pos = this.store.position();
    if (pos.epoch !== 0 || pos.seq !== 0) {
      this.fail(`asked to drop a partial snapshot, but the store is at epoch ${pos.epoch}, seq ${pos.seq}; keeping it`);
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
    this.failed = true;
    this.pending = [];
    for (const sender of [...this.senders.values()]) sender.abort('giving up on this connection');
    this.conn.send([Op.SNAPSHOT_ABORT, resyncId, `replica refused: it holds writes up to epoch ${own.epoch}, seq ${own.seq}`]);
    this.conn.sendErrorAndClose(
      new KvndbError(ErrorCode.REPLICA_ERROR, message, {
        details: { refused: 'resync-would-discard-writes', resyncId, replica: { ...own }, snapshot: { epoch, seq } },
      }),
    );
  }

  /** Something the protocol does not allow: tell the router, close; reconnecting resyncs us. */
  private fail(reason: string, log = true): void {
    if (this.failed) return;
    if (log) this.logger.error(`protocol error from the router: ${reason}; disconnecting`);
    this.failed = true;
    this.pending = [];
    for (const sender of [...this.senders.values()]) sender.abort('giving up on this connection');
    this.conn.sendErrorAndClose(KvndbError.protocol(reason));
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
