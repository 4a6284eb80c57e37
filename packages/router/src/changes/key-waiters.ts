import { ErrorCode, KvndbError, Op, type WireChange } from '@kvndb/shared';
import type { ReplySink } from '../requests/reply-sink';
import type { ChangeListener } from './change-feed';
import type { ConnectionStream, ConnectionStreams } from './connection-streams';

/** Sends a replica-bound read ([op, 0, ...args]) through the read path. */
export type ReadFn = (msg: unknown[], sink: ReplySink, tag: number) => void;

export interface KeyWaitersOptions {
  /** Blocked reads at once on this router. */
  maxWaiters: number;
  /** Blocked reads at once on one connection. */
  maxPerConnection: number;
}

/**
 * One blocked read: GET_WAIT (one key, answered with the value) or WAIT (several, answered
 * with [key, value] of the first that exists).
 */
class Waiter implements ConnectionStream, ReplySink {
  /** A read is in flight; `dirty`: a change arrived meanwhile that the read may predate. */
  reading = false;
  dirty = false;
  done = false;
  timer: NodeJS.Timeout | undefined;

  constructor(
    readonly keys: readonly string[],
    readonly single: boolean,
    /** Registered for changes until its deadline (waitMs > 0); otherwise it is one read. */
    readonly blocking: boolean,
    readonly sink: ReplySink,
    readonly tag: number,
    private readonly owner: KeyWaiters,
    readonly streams: ConnectionStreams | undefined,
  ) {}

  /** The answer of a read of the keys (GET: a value or nil; MGET: values or nils). */
  reply(_tag: number, err: KvndbError | null, value?: unknown): void {
    this.reading = false;
    if (this.done) return;
    if (err) return this.owner.finish(this, err);
    const values = this.single ? [value] : Array.isArray(value) ? value : [];
    for (let i = 0; i < this.keys.length; i++) {
      const v = values[i];
      if (v !== null && v !== undefined) return this.owner.finish(this, null, this.single ? v : [this.keys[i], v]);
    }
    if (this.dirty) this.owner.read(this);
    else if (!this.blocking) this.owner.finish(this, null, null);
  }

  closed(): void {
    this.owner.finish(this, undefined);
  }
}

/**
 * Blocked reads (GET_WAIT, WAIT): answered as soon as a key exists, or nil at the deadline.
 * A waiter is registered before its first read, so a write that lands while that read is
 * in flight is seen either by the read or by the change that follows it: nothing is missed.
 * A 'set' change that carries the value answers at once; one that does not (APPEND,
 * RENAME's target) reads again. The read goes behind every write already sequenced on the
 * replica links, so a read sent after a change was observed reflects it.
 */
export class KeyWaiters implements ChangeListener {
  private readonly byKey = new Map<string, Set<Waiter>>();
  private count = 0;
  private stopped: KvndbError | undefined;

  constructor(
    private readonly readFn: ReadFn,
    private readonly options: KeyWaitersOptions,
  ) {}

  get active(): boolean {
    return this.count > 0;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Block `sink`'s request `tag` until one of `keys` exists or `waitMs` passes. `streams`:
   * the connection's open streams, for its bound and its cleanup (none for a callback).
   * Answers TOO_MANY_REQUESTS past a bound, SHUTTING_DOWN while stopping.
   */
  wait(keys: readonly string[], single: boolean, waitMs: number, sink: ReplySink, tag: number, streams: ConnectionStreams | undefined): void {
    if (this.stopped) return sink.reply(tag, this.stopped);
    if (this.count >= this.options.maxWaiters) {
      return sink.reply(tag, new KvndbError(ErrorCode.TOO_MANY_REQUESTS, `this router already holds ${this.count} blocked reads (--max-blocked-reads ${this.options.maxWaiters})`));
    }
    if (streams && streams.waiters.size >= this.options.maxPerConnection) {
      return sink.reply(tag, new KvndbError(ErrorCode.TOO_MANY_REQUESTS, `this connection already holds ${streams.waiters.size} blocked reads (the limit is ${this.options.maxPerConnection} per connection)`));
    }
    const w = new Waiter(keys, single, waitMs > 0, sink, tag, this, streams);
    if (w.blocking) {
      this.count++;
      streams?.waiters.add(w);
      for (const key of keys) {
        let set = this.byKey.get(key);
        if (set === undefined) this.byKey.set(key, (set = new Set()));
        set.add(w);
      }
      w.timer = setTimeout(() => this.finish(w, null, null), waitMs);
    }
    this.read(w);
  }

  /** The feed observed these changes (only called while active). */
  changed(changes: readonly WireChange[]): void {
    for (let i = 0; i < changes.length; i++) {
      const [type, key, value] = changes[i];
      if (type !== 'set') continue;
      const set = this.byKey.get(key);
      if (set === undefined) continue;
      for (const w of [...set]) {
        if (w.done) continue;
        if (value !== null) this.finish(w, null, w.single ? value : [key, value]);
        else if (w.reading) w.dirty = true;
        else this.read(w);
      }
    }
  }

  /** Read the waiter's keys (again). */
  read(w: Waiter): void {
    w.reading = true;
    w.dirty = false;
    this.readFn(w.single ? [Op.GET, 0, w.keys[0]] : [Op.MGET, 0, w.keys], w, 0);
  }

  /**
   * Answer and forget a waiter: `value` (nil at the deadline), an error, or nothing at all
   * (undefined: its connection closed).
   */
  finish(w: Waiter, err: KvndbError | null | undefined, value?: unknown): void {
    if (w.done) return;
    w.done = true;
    if (w.blocking) {
      clearTimeout(w.timer);
      this.count--;
      w.streams?.waiters.delete(w);
      for (const key of w.keys) {
        const set = this.byKey.get(key);
        if (set === undefined) continue;
        set.delete(w);
        if (set.size === 0) this.byKey.delete(key);
      }
    }
    if (err === undefined) return;
    if (err) w.sink.reply(w.tag, err);
    else w.sink.reply(w.tag, null, value ?? null);
  }

  /** The router is stopping: answer every blocked read with `err`. */
  stop(err: KvndbError): void {
    this.stopped = err;
    const all = new Set<Waiter>();
    for (const set of this.byKey.values()) for (const w of set) all.add(w);
    for (const w of all) this.finish(w, err);
  }
}
