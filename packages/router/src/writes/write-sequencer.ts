import { Answer, IdRing, KvndbError, Op, encodeFrame, isOpError, type WriteOp, type WriteResult } from '@kvndb/shared';
import type { RouterClock } from '../router-clock';
import type { ReplySink } from '../requests/reply-sink';
import type { WriteBacklog } from './write-backlog';

export type WriteAckPolicy = 'one' | 'majority' | 'all';

/** A replica as the sequencer sees it: somewhere to send WRITE frames. */
export interface WriteTarget {
  readonly id: number;
  sendWrite(frame: Buffer): void;
}


/**
 * A write as the first replica applied it, with that replica's results (every replica
 * reaches the same ones): what change watchers, keyspace notifications and blocked
 * readers observe. Observed in seq order, once per write, before the write-ack policy is
 * met (like a replica, an observer sees a write that later times out: it is not rolled back).
 */
export interface AppliedWrite {
  readonly epoch: number;
  readonly seq: number;
  /** The router time the write carries. */
  readonly time: number;
  readonly ops: readonly WriteOp[];
  readonly results: readonly WriteResult[];
}

/** A write awaiting acks; observers get it as the AppliedWrite itself (no copy per write). */
interface PendingWrite {
  epoch: number;
  seq: number;
  time: number;
  ops: WriteOp[];
  /** Ids of the in-sync replicas when the write was sequenced: the only ones whose acks count. */
  targets: readonly number[];
  required: number;
  acked: number;
  /** Targets that disconnected before acknowledging. */
  lost: number;
  results: WriteResult[] | undefined;
  shape: Answer;
  sink: ReplySink | null;
  tag: number;
  deadline: number;
}

export interface WriteSequencerOptions {
  writeAck: WriteAckPolicy;
  timeoutMs: number;
  backlog: WriteBacklog;
  maxFrameBytes: number;
  /** Stamps every write with the router's time. */
  clock: RouterClock;
}

const RING_INITIAL_SLOTS = 1024;

export function requiredAcks(policy: WriteAckPolicy, inSync: number): number {
  if (policy === 'one') return Math.min(1, inSync);
  if (policy === 'all') return inSync;
  return Math.floor(inSync / 2) + 1;
}

/**
 * The one total order of writes: gives each write (epoch, seq), encodes its WRITE frame
 * once, keeps it in the backlog, queues it to every live replica, and answers the client
 * when the write-ack policy is met (or TIMEOUT with {applied, required} when it cannot be).
 *
 * Pending writes live in an IdRing by seq (slot `seq & mask`), which costs no hashing and no
 * per-write Map entry on the hot path: an ack finds its write with one array read. Since
 * every write gets the same timeout their deadlines are in seq order too, so one timer for
 * the oldest one serves them all. The ring covers the oldest pending write to the newest
 * one, so a write stuck while later ones complete widens it until that write times out: at
 * most writes-per-second × timeout slots (it never spills into the ring's Map).
 */
export class WriteSequencer {
  private readonly writeAck: WriteAckPolicy;
  private readonly timeoutMs: number;
  private readonly backlog: WriteBacklog;
  private readonly maxFrameBytes: number;
  private readonly clock: RouterClock;
  /** The router time of the newest write. */
  lastTime = 0;
  /** Writes waiting for their acknowledgements, by seq. */
  private readonly pending = new IdRing<PendingWrite>({ initialSlots: RING_INITIAL_SLOTS, maxSlots: Infinity });
  /** Per replica id: the highest seq it acknowledged (replicas acknowledge in order). */
  private readonly ackedUpTo = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  /** The newest write acknowledged to its client. */
  lastAckedSeq = 0;
  private currentEpoch = 0;
  private currentSeq = 0;
  /**
   * Observers of applied writes; empty costs one length check per ack. Replaced, never
   * changed in place, so notify() can iterate it while an observer stops observing.
   */
  private observers: ReadonlyArray<(write: AppliedWrite) => void> = [];
  /**
   * Called with each write's ops as it takes its seq, before any replica is sent it (a
   * reader's cache in this process drops what they change: reads/local-reads.ts). Null, the
   * default, costs one check per write.
   */
  onSequenced: ((ops: readonly WriteOp[]) => void) | null = null;

  constructor(options: WriteSequencerOptions) {
    this.writeAck = options.writeAck;
    this.timeoutMs = options.timeoutMs;
    this.backlog = options.backlog;
    this.maxFrameBytes = options.maxFrameBytes;
    this.clock = options.clock;
  }

  get epoch(): number {
    return this.currentEpoch;
  }

  get seq(): number {
    return this.currentSeq;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /**
   * Call `observer` with each client write (and sweep) once the first counted replica has
   * applied it, in seq order. Returns the function that stops observing.
   */
  observe(observer: (write: AppliedWrite) => void): () => void {
    this.observers = [...this.observers, observer];
    return () => {
      this.observers = this.observers.filter((o) => o !== observer);
    };
  }

  /** Begin epoch `epoch` after write `seq`: the next write is seq + 1. */
  startEpoch(epoch: number, seq: number): void {
    // The router adopts a source once, before any client write can be sequenced.
    if (this.pending.size > 0) throw new Error(`cannot start epoch ${epoch}: ${this.pending.size} writes are pending`);
    // Seqs may start lower than before: the ring's ids start again.
    this.pending.restart();
    this.currentEpoch = epoch;
    this.currentSeq = seq;
    this.backlog.reset(seq);
  }

  /**
   * Sequence one write. `live` receive the frame (in-sync and lagging replicas); `counted`
   * are the ids of the in-sync ones, whose acks make up the policy. The answer goes to
   * `sink.reply(tag, ...)` (none for an epoch marker). A client write with no in-sync
   * replica is answered NO_REPLICAS and gets no seq (returns 0). Throws TOO_LARGE, without
   * using a seq, if the write does not fit in a frame. Returns the write's seq.
   */
  sequence(
    ops: WriteOp[],
    live: readonly WriteTarget[],
    counted: readonly number[],
    shape: Answer,
    sink: ReplySink | null,
    tag: number,
  ): number {
    if (sink && counted.length === 0) {
      sink.reply(tag, KvndbError.noReplicas());
      return 0;
    }
    const seq = this.currentSeq + 1;
    const time = this.clock.now();
    const frame = encodeFrame([Op.WRITE, this.currentEpoch, seq, ops, time], this.maxFrameBytes);
    this.currentSeq = seq;
    this.lastTime = time;
    if (this.onSequenced !== null) this.onSequenced(ops);
    this.backlog.append(seq, frame);
    const required = requiredAcks(this.writeAck, counted.length);
    if (sink) {
      // Writes without a client (epoch markers) take a seq but no entry.
      this.pending.set(seq, {
        epoch: this.currentEpoch,
        seq,
        time,
        ops,
        targets: counted,
        required,
        acked: 0,
        lost: 0,
        results: undefined,
        shape,
        sink,
        tag,
        deadline: Date.now() + this.timeoutMs,
      });
      if (!this.timer) this.timer = setTimeout(this.expire, this.timeoutMs);
    }
    for (let i = 0; i < live.length; i++) live[i].sendWrite(frame);
    return seq;
  }

  /**
   * A replica applied write `seq` with these results: its link hands every WRITE_ACK here.
   * Throws PROTOCOL_ERROR for a write that was never sequenced.
   */
  ack(targetId: number, seq: number, results: WriteResult[]): void {
    if (seq > this.currentSeq) throw KvndbError.protocol(`WRITE_ACK for write ${seq}, which was never sent (the last is ${this.currentSeq})`);
    const prev = this.ackedUpTo.get(targetId);
    if (prev === undefined || seq > prev) this.ackedUpTo.set(targetId, seq);
    const w = this.pending.get(seq);
    if (!w || !w.targets.includes(targetId)) return;
    if (w.results === undefined) {
      w.results = results;
      if (this.observers.length > 0) this.notify(w as AppliedWrite);
    }
    if (++w.acked >= w.required) this.complete(w);
  }

  /**
   * A replica is gone. Writes it had not acknowledged lose a possible ack; those that can
   * no longer reach their requirement fail now rather than at the timeout.
   */
  targetLost(targetId: number): void {
    const upTo = this.ackedUpTo.get(targetId) ?? 0;
    this.ackedUpTo.delete(targetId);
    for (const w of this.pending.values()) {
      // A reply in this loop may have answered it already (a sink that calls back in).
      if (this.pending.get(w.seq) !== w) continue;
      if (w.seq <= upTo || !w.targets.includes(targetId)) continue;
      w.lost++;
      const reachable = w.targets.length - w.lost;
      if (reachable < w.required) {
        this.fail(
          w,
          KvndbError.timeout(
            `write ${w.seq} was applied by ${w.acked} of the ${w.required} replicas required; the others disconnected (it is not rolled back)`,
            { applied: w.acked, required: w.required },
          ),
        );
      }
    }
  }

  /** Fail every pending write with `err` (shutdown). */
  failAll(err: KvndbError): void {
    const all = this.pending.takeAll();
    this.clearTimer();
    for (const w of all) w.sink?.reply(w.tag, err);
  }

  stop(): void {
    this.clearTimer();
  }

  private notify(w: AppliedWrite): void {
    const observers = this.observers;
    for (let i = 0; i < observers.length; i++) observers[i](w);
  }

  private complete(w: PendingWrite): void {
    this.removePending(w);
    if (w.seq > this.lastAckedSeq) this.lastAckedSeq = w.seq;
    const results = w.results as WriteResult[];
    let value: unknown;
    if (w.shape === Answer.First || w.shape === Answer.Versioned) {
      const first = Array.isArray(results) ? results[0] : null;
      // An op that failed at its position (INCR of a non-number) changed nothing: an error.
      if (isOpError(first)) {
        w.sink?.reply(w.tag, new KvndbError(first.error, first.message));
        return;
      }
      // The version a write gives the keys it changes is its seq.
      value = w.shape === Answer.First ? first : [first, w.seq];
    } else if (w.shape === Answer.All) value = results;
    else value = null;
    w.sink?.reply(w.tag, null, value);
  }

  private fail(w: PendingWrite, err: KvndbError): void {
    this.removePending(w);
    w.sink?.reply(w.tag, err);
  }

  private expire = (): void => {
    this.timer = undefined;
    const now = Date.now();
    // fail() removes it, so the next oldest() is the next pending write.
    for (let w = this.pending.oldest(); w !== undefined; w = this.pending.oldest()) {
      if (w.deadline > now) {
        this.timer = setTimeout(this.expire, w.deadline - now);
        return;
      }
      this.fail(
        w,
        KvndbError.timeout(
          `write ${w.seq} was applied by ${w.acked} of the ${w.required} replicas required within ${this.timeoutMs} ms (it is not rolled back)`,
          { applied: w.acked, required: w.required },
        ),
      );
    }
  };

  /** Forget w (if it is still pending: a reply may have called back in and finished it). */
  private removePending(w: PendingWrite): void {
    this.pending.take(w.seq);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
