import {
  ErrorCode,
  KvndbError,
  Op,
  toKvndbError,
  type FramedConnection,
  type Logger,
  type WriteOp,
  type WriteResult,
} from '@kvndb/shared';
import type { Store, WriteBatch } from '../store/store';
import type { RouterTime } from './router-time';
import type { SessionHost } from './session-host';

/** Acks per WRITE_ACKS frame: keeps it within the small-frame writer's array size. */
const ACKS_PER_FRAME = 64;

/**
 * Whether a write's results may be large: anything but flags and numbers (a previous value,
 * a transaction's reads, a sweep's keys) can be up to the value limit.
 */
function carriesValue(results: WriteResult[]): boolean {
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    if (typeof r !== 'boolean' && typeof r !== 'number' && r !== null) return true;
  }
  return false;
}

const RESULT_TOO_LARGE = {
  error: ErrorCode.TOO_LARGE,
  message: 'the write was applied, but the values it read are larger than a frame together: read them separately',
};

/** A result with every value it carries replaced by TOO_LARGE (flags and numbers are kept). */
function withoutValues(r: WriteResult): WriteResult {
  if (r instanceof Uint8Array) return RESULT_TOO_LARGE;
  if (Array.isArray(r)) return r.map(withoutValues);
  return r;
}

/**
 * The write stream of one router connection: checks that WRITEs arrive in seq order, applies
 * those of one event-loop turn together in one store transaction (group commit), and answers
 * each with WRITE_ACK, or consecutive ones with WRITE_ACKS.
 */
export class WriteApplier {
  /** WRITEs received in this event-loop turn, applied together in one store transaction. */
  private pending: WriteBatch[] = [];
  private flushScheduled = false;
  /** Seq of the last write accepted (applied or pending): the next must be this + 1. */
  private lastSeq: number;

  constructor(
    private readonly conn: FramedConnection,
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly host: SessionHost,
    private readonly clock: RouterTime,
  ) {
    this.lastSeq = store.position().seq;
  }

  /** Whether WRITEs are waiting for this turn's group commit. */
  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** The stream goes on after `seq` (a catch-up from the store's position, or a loaded snapshot). */
  resumeAfter(seq: number): void {
    this.lastSeq = seq;
  }

  /** Forget writes not yet applied: the connection is being given up. */
  drop(): void {
    this.pending = [];
  }

  /** A WRITE frame: [WRITE, epoch, seq, ops, time]. */
  accept(msg: unknown[]): void {
    const epoch = msg[1];
    const seq = msg[2];
    const ops = msg[3];
    const time = msg[4];
    if (msg.length !== 5 || typeof epoch !== 'number' || typeof seq !== 'number' || !Array.isArray(ops) || typeof time !== 'number') {
      return this.host.fail('malformed WRITE (expected [WRITE, epoch, seq, ops, time])');
    }
    const loading = this.host.loadingResyncId;
    if (loading !== null) {
      return this.host.fail(`WRITE ${seq} arrived while snapshot ${loading} is still loading`);
    }
    if (seq !== this.lastSeq + 1) {
      this.logger.warn(
        `gap in the write stream: expected seq ${this.lastSeq + 1}, got ${seq}; disconnecting so the router resyncs this replica`,
      );
      return this.host.fail(`write stream gap: expected seq ${this.lastSeq + 1}, got ${seq}`, false);
    }
    this.lastSeq = seq;
    this.clock.advance(time);
    this.pending.push({ epoch, seq, time, ops: ops as WriteOp[] });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // From a socket, the writes of one read arrive together: the end of this turn groups
      // them. In process, the router hands each client request's write over on its own turn
      // (nothing to batch for a syscall), so the group is every write of this event-loop
      // iteration's I/O: one commit for them all.
      if (this.conn.inProcess) setImmediate(this.flush);
      else process.nextTick(this.flush);
    }
  }

  /**
   * One write's ack. A transaction reading several large values can have results larger
   * than a frame: the write is applied all the same, and its reads are answered TOO_LARGE
   * (every replica holds the same values, so every replica answers alike).
   */
  private sendAck(seq: number, results: WriteResult[]): void {
    try {
      this.conn.send([Op.WRITE_ACK, seq, results]);
    } catch (err) {
      if (!(err instanceof KvndbError) || err.code !== ErrorCode.TOO_LARGE) throw err;
      this.conn.send([Op.WRITE_ACK, seq, results.map(withoutValues)]);
    }
  }

  /** Group commit: every WRITE of this turn in one store transaction, then one ack each. */
  readonly flush = (): void => {
    this.flushScheduled = false;
    const group = this.pending;
    if (group.length === 0 || this.host.failed || this.conn.isClosed) return;
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
      this.host.halt();
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
        if (i - from === 1) this.sendAck(seq, results[from]);
        else this.conn.send([Op.WRITE_ACKS, seq, results.slice(from, i)]);
        from = i;
      }
    }
  };
}
