import {
  Backpressure,
  ErrorCode,
  IdRing,
  KvndbError,
  Op,
  type FramedConnection,
  type Logger,
  type ReplicaHelloInfo,
  type ReplicaState,
  type Watermarks as PressureMarks,
  type WriteResult,
} from '@kvndb/shared';
import type { ReadRequest } from '../reads/read-request';
import type { ReadTarget } from '../reads/read-balancer';
import type { WriteTarget } from '../writes/write-sequencer';
import type { RouterClock } from '../router-clock';

/**
 * Who receives what a replica sends, each straight from the link: acknowledgements go to
 * the write sequencer, snapshot messages to the full resync, state changes to the replica
 * set. Read answers go to each read's own sink.
 */
export interface LinkReceivers {
  /** WRITE_ACK and each entry of WRITE_ACKS (the write sequencer). */
  readonly acks: { ack(replicaId: number, seq: number, results: WriteResult[]): void };
  /** SNAPSHOT_CHUNK / END / ACK / ABORT (the full resync). */
  readonly snapshots: { handle(link: ReplicaLink, msg: unknown[]): void };
  /** The link's state changed (the replica set). */
  stateChanged(link: ReplicaLink, previous: ReplicaState): void;
}

/**
 * Outgoing-buffer thresholds for a replica (bytes queued but not yet taken by the kernel),
 * applied by the shared Backpressure rule: "paused" is lagging.
 */
export interface Watermarks extends PressureMarks {
  /** Above this an in-sync replica becomes lagging (no reads, still receives writes). */
  high: number;
  /** Below this a lagging replica is in sync again. */
  low: number;
  /** Above this the replica is disconnected; it resyncs when it comes back. */
  hard: number;
  /**
   * How long the buffer must stay above `high` before the replica counts as lagging: one
   * large value passing through is not slowness, and marking every replica lagging for it
   * would turn reads away with NO_REPLICAS.
   */
  graceMs: number;
}

export const DEFAULT_WATERMARKS: Watermarks = {
  high: 32 * 1024 * 1024,
  low: 8 * 1024 * 1024,
  hard: 256 * 1024 * 1024,
  graceMs: 500,
};

/**
 * One connected replica: its state, the reads outstanding on it, its acknowledged
 * position, and the backpressure rules that keep a slow or paused replica from growing
 * the router's memory.
 */
export class ReplicaLink implements ReadTarget, WriteTarget {
  readonly name: string;
  readonly address: string;
  /** Position and wishes it announced in HELLO. */
  readonly hello: ReplicaHelloInfo;
  /** The router time of the last CLOCK frame sent on this link. */
  private clockSent = 0;
  state: ReplicaState = 'joining';
  /** Epoch of the replica's position: the router's once it is synced, the HELLO one before. */
  epoch: number;
  /** Highest write the replica is known to have applied. */
  ackedSeq: number;
  /** Why it is out of service when its state is 'diverged'. */
  conflict: string | undefined;
  /**
   * Reads outstanding on this replica by request id. Ids are handed out in order and
   * answered about in order, so the ring finds an answer's read with one array read; it
   * grows without limit rather than spilling into a Map (a read is answered or times out).
   */
  private readonly outstanding = new IdRing<ReadRequest>({ maxSlots: Infinity });
  private closing = false;
  /** Lagging above watermarks.high (after graceMs), in sync again at low, cut off past hard. */
  private pressure: Backpressure;
  /** Highest WRITE_ACK seq received on this connection. */
  private lastAck = -1;

  constructor(
    readonly id: number,
    readonly conn: FramedConnection,
    hello: ReplicaHelloInfo,
    private readonly receivers: LinkReceivers,
    private readonly watermarks: Watermarks,
    private readonly logger: Logger,
    /** The router's clock, whose time goes ahead of reads in CLOCK frames. */
    private readonly clock: RouterClock,
  ) {
    this.hello = hello;
    this.name = hello.name;
    this.address = conn.address;
    this.epoch = hello.epoch;
    this.ackedSeq = hello.seq;
    this.pressure = this.newPressure();
    conn.on('drain', () => this.checkPressure());
  }

  private newPressure(): Backpressure {
    return new Backpressure(this.watermarks, {
      // Only an in-sync replica turns lagging (declined otherwise: offered again next time).
      pause: (buffered) => {
        if (this.state !== 'in-sync') return false;
        this.logger.warn(`replica ${this.name} is slow (${buffered} bytes queued): lagging, no reads until it catches up`);
        this.setState('lagging');
        return true;
      },
      resume: () => {
        if (this.state !== 'lagging') return;
        this.logger.info(`replica ${this.name} caught up: in sync again`);
        this.setState('in-sync');
      },
      // The cut happens on the next tick so a write fan-out in progress is not disturbed by
      // the link vanishing under it.
      overflow: (buffered) => {
        this.closing = true;
        this.logger.warn(
          `replica ${this.name} (${this.address}) is ${buffered} bytes behind, over the limit of ${this.watermarks.hard}: disconnecting it; it resyncs when it reconnects`,
        );
        process.nextTick(() => this.conn.close(new KvndbError(ErrorCode.TIMEOUT, `replica ${this.name} fell too far behind`)));
      },
    });
  }

  get inflightReads(): number {
    return this.outstanding.size;
  }

  /** Reads this replica answered (RESULT or ERROR) on this connection. */
  answeredReads = 0;

  get bufferedBytes(): number {
    return this.conn.bufferedBytes;
  }

  /** Receives the write stream (in sync or lagging). */
  get live(): boolean {
    return this.state === 'in-sync' || this.state === 'lagging';
  }

  get isClosed(): boolean {
    return this.conn.isClosed || this.closing;
  }

  setState(state: ReplicaState): void {
    if (state === this.state) return;
    const previous = this.state;
    this.state = state;
    // Moved out of lagging by someone else (not the pressure's resume): the pressure starts
    // afresh, so the replica turns lagging again if it is still behind.
    if (previous === 'lagging' && this.pressure.paused) this.pressure = this.newPressure();
    this.receivers.stateChanged(this, previous);
  }

  sendWrite(frame: Buffer): void {
    this.conn.sendFrame(frame);
    if (this.conn.bufferedBytes > this.watermarks.high) this.checkPressure();
  }

  sendFrame(frame: Buffer): void {
    this.conn.sendFrame(frame);
  }

  send(msg: unknown): void {
    this.conn.send(msg);
  }

  sendRead(req: ReadRequest): void {
    req.msg[1] = this.outstanding.add(req);
    // The read's router time: a CLOCK frame ahead of it whenever the clock moved since the
    // last one on this link (at most one per millisecond), so a GET carries no time itself.
    const now = this.clock.now();
    if (now !== this.clockSent) {
      this.clockSent = now;
      this.conn.send([Op.CLOCK, now]);
    }
    this.conn.send(req.msg);
  }

  /** Write `seq` was applied with `results` (from WRITE_ACK or one entry of WRITE_ACKS). */
  private writeAcked(seq: number, results: unknown[]): void {
    // A replica applies writes in order and acknowledges each once: a repeated ack
    // must not count twice towards a write's acknowledgements.
    if (seq <= this.lastAck) throw KvndbError.protocol(`WRITE_ACK ${seq} repeats or goes back (last was ${this.lastAck})`);
    this.lastAck = seq;
    if (seq > this.ackedSeq || this.state === 'syncing' || this.state === 'joining') this.ackedSeq = seq;
    this.receivers.acks.ack(this.id, seq, results as WriteResult[]);
  }

  /** Reads still waiting for this replica's answer (taken away: the link is gone). */
  takeOutstanding(): ReadRequest[] {
    return this.outstanding.takeAll();
  }

  /** Answer TIMEOUT to reads past their deadline; returns how many. */
  expireReads(now: number): number {
    const expired = this.outstanding.takeWhere((req) => req.deadline <= now);
    for (const req of expired) {
      req.sink.reply(req.tag, KvndbError.timeout(`replica ${this.name} did not answer the read in time`, { replica: this.name }));
    }
    return expired.length;
  }

  /**
   * Move between in-sync and lagging by the outgoing buffer, and cut a replica off past
   * the hard limit (newPressure() says how).
   */
  checkPressure(): void {
    if (this.isClosed) return;
    this.pressure.update(this.conn.bufferedBytes);
  }

  close(err?: KvndbError): void {
    this.conn.close(err);
  }

  /** Everything a replica may send after WELCOME. Throws PROTOCOL_ERROR on anything else. */
  handle(msg: unknown): void {
    if (!Array.isArray(msg)) throw KvndbError.protocol('message is not an array');
    switch (msg[0]) {
      case Op.RESULT: {
        const req = this.outstanding.take(msg[1] as number);
        if (!req) return; // answered already (timed out)
        this.answeredReads++;
        req.sink.reply(req.tag, null, msg[2] ?? null);
        return;
      }
      case Op.ERROR: {
        const err = KvndbError.fromWire(msg[2], msg[3], msg[4]);
        if (msg[1] === 0) {
          this.logger.warn(`replica ${this.name} reported ${err.code}: ${err.message}`);
          this.conn.close(err);
          return;
        }
        const req = this.outstanding.take(msg[1] as number);
        if (!req) return;
        this.answeredReads++;
        req.sink.reply(req.tag, err);
        return;
      }
      case Op.WRITE_ACK: {
        const seq = msg[1];
        if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0 || !Array.isArray(msg[2])) {
          throw KvndbError.protocol('WRITE_ACK is [WRITE_ACK, seq, results]');
        }
        this.writeAcked(seq, msg[2]);
        return;
      }
      case Op.WRITE_ACKS: {
        const first = msg[1];
        const list = msg[2];
        if (typeof first !== 'number' || !Number.isSafeInteger(first) || first < 0 || !Array.isArray(list) || list.length === 0) {
          throw KvndbError.protocol('WRITE_ACKS is [WRITE_ACKS, firstSeq, [results, ...]] with at least one entry');
        }
        for (let i = 0; i < list.length; i++) {
          if (!Array.isArray(list[i])) throw KvndbError.protocol(`WRITE_ACKS ${first}: entry ${i} is not a list of results`);
          this.writeAcked(first + i, list[i]);
        }
        return;
      }
      case Op.SNAPSHOT_CHUNK:
      case Op.SNAPSHOT_END:
      case Op.SNAPSHOT_ACK:
      case Op.SNAPSHOT_ABORT:
        this.receivers.snapshots.handle(this, msg);
        return;
      case Op.PING:
        this.conn.send([Op.RESULT, msg[1], 'PONG']);
        return;
      default:
        throw KvndbError.protocol(`unexpected opcode ${String(msg[0])} from a replica`);
    }
  }
}
