import {
  COMMANDS_BY_OP,
  ErrorCode,
  KvndbError,
  FRAME_HEADER_BYTES,
  Op,
  encodeLatin1BinFrame,
  OP_NAMES,
  readFailureCode,
  toKvndbError,
  Backpressure,
  type FramedConnection,
  type Latin1Bytes,
} from '@kvndb/shared';
import type { Store } from '../store/store';
import type { RouterTime } from './router-time';
import type { SessionHost } from './session-host';
import type { WriteApplier } from './write-applier';

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

/**
 * The reads of one router connection (GET, HAS, MGET, KEYS, PING): each answered from the
 * store through its command's `serve()` (shared/commands), paced so that answers queued for
 * the router stay near READ_ANSWERS_HIGH_WATER.
 */
export class ReadServer {
  /** Reads waiting for the answers before them to drain (oldest first). */
  private deferredReads: unknown[][] = [];
  private readonly readPacing = new Backpressure(READ_ANSWER_MARKS, NO_ACTIONS);
  private drainArmed = false;

  constructor(
    private readonly conn: FramedConnection,
    private readonly store: Store,
    private readonly host: SessionHost,
    /** Writes that arrived before a deferred read are applied before it is answered. */
    private readonly writes: WriteApplier,
    /** The router time reads are judged by. */
    private readonly clock: RouterTime,
  ) {}

  /**
   * A read waits, in order, while the answers already queued exceed the high-water mark.
   * Writes that arrive meanwhile are applied and acknowledged at once, so a waiting read
   * may see writes sequenced after it: it is still in flight, so it is concurrent with them,
   * and answering with the newer value is linearizable.
   */
  onRead(msg: unknown[]): void {
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
    if (this.host.failed || this.conn.isClosed) return;
    if (this.writes.hasPending) this.writes.flush();
    while (this.deferredReads.length > 0 && !this.readPacing.update(this.conn.bufferedBytes)) {
      this.answer(this.deferredReads.shift()!);
    }
    if (this.deferredReads.length > 0) this.armDrain();
  };

  private answer(msg: unknown[]): void {
    const id = msg[1];
    if (typeof id !== 'number') return this.host.fail(`${OP_NAMES[msg[0] as number]} without a request id`);
    let value: unknown;
    try {
      value = this.read(msg);
    } catch (err) {
      const e = toKvndbError(err);
      this.conn.send([Op.ERROR, id, readFailureCode(e), e.message, null]);
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
    return command.serve(this.store, msg, this.clock.now);
  }
}
