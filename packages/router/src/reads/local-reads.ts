import { COMMANDS_BY_OP, KvndbError, Op, readFailureCode, toKvndbError, type ReadStore, type WriteOp } from '@kvndb/shared';
import type { ReplySink } from '../requests/reply-sink';

/**
 * The store of a replica that runs in the router's own process: standalone's. Either the
 * replica's own store in this thread (it says how far it applied), or a reader of the store
 * of a replica on another thread (replica/src/thread/), which says nothing of the sort: the
 * link's acknowledgements say what it committed.
 */
export interface LocalStore extends ReadStore {
  /** The last write applied to it, when the replica runs in this thread. */
  position?(): { seq: number };
  /** A write was sequenced: a reader that caches values forgets those its ops may change. */
  sequenced?(ops: readonly WriteOp[]): void;
  /** The embedded link left in-sync (or came back): a reader that caches values forgets them all. */
  unsynced?(): void;
}

/** The embedded replica's link, as local reads need it. */
export interface LocalLink {
  readonly address: string;
  /** The highest write seq the replica acknowledged (it acknowledges a write once it is committed). */
  readonly ackedSeq: number;
}

/** A value as it would have arrived in a RESULT frame: stores that keep Latin1 strings give bytes. */
function asWire(value: unknown): unknown {
  if (typeof value === 'string') return Buffer.from(value, 'latin1');
  if (value === undefined) return null;
  return value;
}

/**
 * Reads answered straight from the store of the replica embedded in this process, with no
 * frame, no link and no event-loop turn: what makes `kvndb standalone` one process in fact.
 *
 * Only GET and MGET go this way (the reads a key/value load is made of; every other read
 * takes the replica's own path), and only while
 * - the embedded replica's link is in sync (a joining, resyncing or lagging replica does
 *   not serve reads, this way or the other), and
 * - its store has applied every write sequenced so far. A write is sequenced before it is
 *   applied, one event-loop turn later; a GET pipelined behind a SET on the same connection
 *   must see it, as it does when the GET follows the SET's frame down the link. With writes
 *   in flight the read takes the link, behind them.
 * Otherwise the read is as any other: a read that starts after a write was acknowledged
 * sees it, because an acknowledged write has been applied to this store.
 *
 * A replica on a worker thread (standalone's default) applies writes out of this thread's
 * sight: "applied every write sequenced" is then "acknowledged every write sequenced", and
 * the read goes to a read-only connection to the same SQLite file, which sees every commit
 * made before it starts (WAL). Its cache is kept exact from this thread: every write
 * sequenced drops what it may change before any read can see the write (sequenced() is
 * called as the write takes its seq, synchronously), and a miss fills the cache only here,
 * when every write sequenced is committed, so what it reads is the newest value.
 */
export class LocalReads {
  /** The embedded replica's link while it is in sync; null otherwise. */
  private active: LocalLink | null = null;

  constructor(
    /** Addresses of links from the in-process transport the embedded replica dials: `name#N`. */
    private readonly addressPrefix: string,
    private readonly store: LocalStore,
    /** The seq of the newest write sequenced. */
    private readonly lastSeq: () => number,
    /** The router's clock: expiry is judged by it, as the replica judges it by CLOCK frames. */
    private readonly now: () => number,
  ) {}

  /** Whether `link` is the embedded replica's. */
  isLocal(link: { address: string }): boolean {
    return link.address.startsWith(this.addressPrefix);
  }

  /** The embedded replica's link changed state (or left: in-sync false). */
  linkState(link: LocalLink, inSync: boolean): void {
    if (inSync) {
      if (this.active !== link) this.store.unsynced?.();
      this.active = link;
    } else if (this.active === link) {
      this.active = null;
      this.store.unsynced?.();
    }
  }

  /** A write took its seq (WriteSequencer's onSequenced, set while reading locally). */
  sequenced(ops: readonly WriteOp[]): void {
    this.store.sequenced?.(ops);
  }

  /** Answer `msg` here if it can be; false sends it the usual way. */
  tryRead(msg: unknown[], sink: ReplySink, tag: number): boolean {
    if (this.active === null) return false;
    const op = msg[0];
    if (op !== Op.GET && (op !== Op.MGET || msg[3] === true)) return false;
    const applied = this.store.position !== undefined ? this.store.position().seq : this.active.ackedSeq;
    if (applied !== this.lastSeq()) return false;
    let value: unknown;
    try {
      value = COMMANDS_BY_OP[op as number]!.serve!(this.store, msg, this.now());
    } catch (err) {
      const e = toKvndbError(err);
      // As the replica answers it.
      const code = readFailureCode(e);
      sink.reply(tag, code === e.code ? e : new KvndbError(code, e.message));
      return true;
    }
    if (Array.isArray(value)) for (let i = 0; i < value.length; i++) value[i] = asWire(value[i]);
    else value = asWire(value);
    sink.reply(tag, null, value);
    return true;
  }
}
