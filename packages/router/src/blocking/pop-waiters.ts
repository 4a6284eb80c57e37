import { Answer, ErrorCode, KvndbError, isOpError, type Logger, type WriteOp } from '@kvndb/shared';
import type { ReplySink } from '../requests/reply-sink';

/** Where the pops go: the write path (sequenced like any write). */
export interface PopWrites {
  write(ops: WriteOp[], shape: Answer, sink: ReplySink, tag: number): void;
}

/**
 * A sink that can say its client left. Native sessions and the RESP door's blocking commands
 * have `closed`; a sink without it is taken as always there.
 */
export interface WaiterSink extends ReplySink {
  readonly closed?: boolean;
  /** Whose bound the waiter counts against (a connection); the sink itself when absent. */
  readonly owner?: object;
}

export interface PopWaitersOptions {
  /** Pops waiting on one connection before TOO_MANY_REQUESTS. */
  maxPerConnection: number;
  /** Pops waiting on the whole router before TOO_MANY_REQUESTS. */
  maxTotal: number;
  logger: Logger;
}

export const DEFAULT_POP_WAITERS = { maxPerConnection: 1024, maxTotal: 100_000 };

const enum State {
  /** Queued on its keys, waiting for a write to one of them. */
  Waiting,
  /** Its pop is sequenced and not answered yet. */
  InFlight,
  Done,
}

interface Waiter {
  /** Arrival order: a key's queue is served oldest first. */
  readonly order: number;
  readonly keys: string[];
  /** The pop op: ['P', keys, count, left]. */
  readonly op: WriteOp;
  readonly sink: WaiterSink;
  readonly tag: number;
  readonly owner: object;
  state: State;
  /** The deadline passed while its pop was in flight: nil unless that pop finds a value. */
  expired: boolean;
  /**
   * A write that may have pushed onto one of its keys was sequenced while its pop was in
   * flight, i.e. after that pop: if the pop found nothing, it runs again at once.
   */
  fedSince: boolean;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Blocking pops (BLPOP, BRPOP, pop() with waitMs), arranged by the router so that every
 * replica agrees who got which value: a waiting pop removes nothing until the router
 * sequences it as an ordinary ordered write. A pop first runs at once; when it finds
 * nothing it waits here, queued on each of its keys in arrival order. Every write the router
 * sequences that may add values to a key with waiters (a push, LMOVE or RENAME/COPY onto it,
 * a transaction holding one) sequences the pop of the oldest waiter right behind it, so the
 * pop is applied after the push on every replica; a pop that finds nothing (another client
 * was quicker) goes back to its place in the queue. The pop's answer says how many values
 * are left, so the next waiter is served at once while there are.
 *
 * A waiter that times out, or whose connection closes while it waits, is dropped: nothing was
 * sequenced for it, nothing is removed. A pop that was sequenced and found values for a
 * client that has meanwhile gone is undone by a compensating ordered write that pushes the
 * values back where they came from (docs/ARCHITECTURE.md "Blocking pops").
 */
export class PopWaiters {
  private readonly byKey = new Map<string, Waiter[]>();
  private readonly perOwner = new Map<object, number>();
  private nextOrder = 0;
  private total = 0;
  private writes: PopWrites | undefined;

  constructor(private readonly options: PopWaitersOptions) {}

  /** The write path, once it exists (it observes writes for this module). */
  attach(writes: PopWrites): void {
    this.writes = writes;
  }

  /** Pops waiting or in flight. */
  get size(): number {
    return this.total;
  }

  /**
   * A pop that may wait `waitMs` (-1: forever) on `keys`: `op` is its ['P', ...] op. The
   * answer goes to sink.reply(tag, ...): [key, values, left], or nil at the deadline.
   */
  pop(op: WriteOp, keys: string[], waitMs: number, sink: WaiterSink, tag: number): void {
    const owner = sink.owner ?? sink;
    const mine = this.perOwner.get(owner) ?? 0;
    const o = this.options;
    if (mine >= o.maxPerConnection || this.total >= o.maxTotal) {
      const which = mine >= o.maxPerConnection ? `${o.maxPerConnection} on this connection` : `${o.maxTotal} on this router`;
      sink.reply(tag, new KvndbError(ErrorCode.TOO_MANY_REQUESTS, `too many blocking pops waiting (the limit is ${which})`));
      return;
    }
    const w: Waiter = { order: this.nextOrder++, keys, op, sink, tag, owner, state: State.Waiting, expired: false, fedSince: false, timer: undefined };
    this.perOwner.set(owner, mine + 1);
    this.total++;
    for (const key of keys) {
      let q = this.byKey.get(key);
      if (q === undefined) this.byKey.set(key, (q = []));
      q.push(w);
    }
    if (waitMs > 0) w.timer = setTimeout(() => this.expire(w), waitMs);
    // Try at once, unless older waiters on one of its keys come first.
    if (keys.every((k) => this.byKey.get(k)![0] === w)) this.attempt(w);
  }

  /**
   * The write path sequenced `ops`: serve the waiters of keys they may have pushed onto. Called
   * only while some pop waits (WritePath checks size first), so plain writes pay nothing.
   */
  written(ops: readonly WriteOp[]): void {
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      switch (op[0]) {
        case 'L':
          this.serve(op[1], op[2].length);
          break;
        case 'lm':
          this.serve(op[2], 1);
          break;
        case 'm':
          this.serve(op[2], 1);
          break;
        case 't':
          this.written(op[2]);
          this.written(op[3]);
          break;
      }
    }
  }

  /** Drop the waiters of connections that closed (called about once a second). */
  sweep(): void {
    if (this.total === 0) return;
    const gone = new Set<Waiter>();
    for (const q of this.byKey.values()) for (const w of q) if (w.state === State.Waiting && w.sink.closed === true) gone.add(w);
    for (const w of gone) this.finish(w);
  }

  /** Router stopping: every waiter is answered `err`. */
  stop(err: KvndbError): void {
    const all = new Set<Waiter>();
    for (const q of this.byKey.values()) for (const w of q) all.add(w);
    for (const w of all) {
      if (w.state === State.Done) continue;
      this.finish(w);
      w.sink.reply(w.tag, err);
    }
  }

  /** Start the pops of up to `n` waiters on `key`, oldest first. */
  private serve(key: string, n: number): void {
    const q = this.byKey.get(key);
    if (q === undefined) return;
    for (const w of q) if (w.state === State.InFlight) w.fedSince = true;
    for (let i = 0; i < q.length && n > 0; i++) {
      const w = q[i];
      if (w.state !== State.Waiting) continue;
      // Only when it is the oldest waiting on each of its keys: arrival order holds on every key.
      if (w.sink.closed === true) {
        // Its client left: dropped, and the value goes to the next one.
        this.finish(w);
        i--;
        continue;
      }
      if (!this.oldestOnAll(w)) continue;
      n--;
      this.attempt(w);
      // attempt() may have finished w (an error answered at once) and shortened q.
      if (q[i] !== w) i--;
    }
  }

  private oldestOnAll(w: Waiter): boolean {
    for (const k of w.keys) {
      const q = this.byKey.get(k)!;
      for (const other of q) {
        if (other === w) break;
        if (other.state === State.Waiting && other.sink.closed !== true) return false;
      }
    }
    return true;
  }

  /** Sequence w's pop now. */
  private attempt(w: Waiter): void {
    if (w.sink.closed === true) {
      this.finish(w);
      return;
    }
    w.state = State.InFlight;
    w.fedSince = false;
    this.writes!.write([w.op], Answer.First, { reply: (_t, err, value) => this.answered(w, err, value) }, 0);
  }

  private answered(w: Waiter, err: KvndbError | null, value: unknown): void {
    if (w.state !== State.InFlight) return;
    if (err !== null) {
      // WRONG_TYPE, NO_REPLICAS, TIMEOUT...: the pop is over, with that error.
      this.finish(w);
      w.sink.reply(w.tag, err);
      return;
    }
    if (value === null || value === undefined || isOpError(value)) {
      // Another pop was quicker: back in the queue, or nil at its deadline.
      if (w.expired) {
        this.finish(w);
        w.sink.reply(w.tag, null, null);
      } else {
        w.state = State.Waiting;
        if (w.sink.closed === true) this.finish(w);
        // A push sequenced behind this pop found it in flight: try again, behind that push.
        else if (w.fedSince && this.oldestOnAll(w)) this.attempt(w);
      }
      return;
    }
    const [key, values, left] = value as [string, Uint8Array[], number];
    this.finish(w);
    if (w.sink.closed === true) this.giveBack(w, key, values);
    else w.sink.reply(w.tag, null, value);
    // Values left: the next waiter on the key need not wait for another push.
    if (left > 0) this.serve(key, 1);
  }

  /**
   * The client left after its pop was sequenced: push the values back where they were taken
   * from (the head for a left pop, in their order), as one more ordered write.
   */
  private giveBack(w: Waiter, key: string, values: Uint8Array[]): void {
    if (values.length === 0) return;
    const left = w.op[3] as boolean;
    const back: WriteOp = ['L', key, [...values].reverse(), left, false];
    this.options.logger.info(`blocking pop on ${JSON.stringify(key)}: the client left before its answer; ${values.length} value(s) pushed back`);
    this.writes!.write([back], Answer.First, {
      reply: (_t, err, result) => {
        if (err !== null || isOpError(result)) {
          this.options.logger.warn(`could not push back ${values.length} value(s) popped for a client that left, on ${JSON.stringify(key)}: ${err?.message ?? (result as { message: string }).message}`);
        }
      },
    }, 0);
  }

  private expire(w: Waiter): void {
    w.timer = undefined;
    if (w.state === State.Waiting) {
      this.finish(w);
      w.sink.reply(w.tag, null, null);
    } else if (w.state === State.InFlight) {
      // Its pop is sequenced: its answer decides (a value found is delivered).
      w.expired = true;
    }
  }

  /** Take w out of every queue and count. */
  private finish(w: Waiter): void {
    if (w.state === State.Done) return;
    w.state = State.Done;
    if (w.timer !== undefined) clearTimeout(w.timer);
    for (const k of w.keys) {
      const q = this.byKey.get(k);
      if (q === undefined) continue;
      const i = q.indexOf(w);
      if (i >= 0) q.splice(i, 1);
      if (q.length === 0) this.byKey.delete(k);
    }
    this.total--;
    const n = (this.perOwner.get(w.owner) ?? 1) - 1;
    if (n <= 0) this.perOwner.delete(w.owner);
    else this.perOwner.set(w.owner, n);
  }
}
