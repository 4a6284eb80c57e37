import Database from 'better-sqlite3';
import { ErrorCode, KvndbError, forEachWrittenKey, type ReadStore, type WriteOp } from '@kvndb/shared';
import type { RawEntry } from './apply-ops';
import { ValueCache } from './value-cache';
import { SqliteKeyReads } from './sqlite-key-reads';

/**
 * A read-only connection to the SQLite file of a replica that runs on another thread of
 * this process (`kvndb standalone`'s, replica/src/thread/), with a cache of recent reads:
 * what lets the router answer GET and MGET in its own thread while the replica's thread
 * does the writing (router/src/reads/local-reads.ts says when it may).
 *
 * In WAL mode each statement here reads the database as of its start: every transaction
 * the replica committed before, nothing after. The router reads here only when the replica
 * has acknowledged every write sequenced, and a replica acknowledges a write once its
 * transaction committed, so a read sees every acknowledged write.
 *
 * The cache cannot be kept exact the store's way (dropping a key in the primitive that
 * changes it: that runs on the other thread). It is kept exact from the router's side:
 * sequenced() drops the keys a write may change as the write takes its seq, before any read
 * can observe it, and a miss fills the cache only when reads are allowed here at all, i.e.
 * when no write is in flight, so the value it reads cannot be replaced by a write not yet
 * committed. unsynced() forgets everything when the replica's link leaves in-sync (a resync
 * may replace any key without a write being sequenced).
 */
export class SqliteReader implements ReadStore {
  private readonly db: Database.Database;
  private readonly cache: ValueCache | null;
  private readonly reads: SqliteKeyReads;
  private readonly countStmt: Database.Statement<[], number>;
  private readonly forget = (key: string): void => this.cache?.delete(key);

  constructor(
    readonly file: string,
    cacheBytes: number,
  ) {
    try {
      // The writer created the file and switched it to WAL before this opens it.
      this.db = new Database(file, { readonly: true, fileMustExist: true });
    } catch (err) {
      throw new KvndbError(ErrorCode.REPLICA_ERROR, `cannot open ${file} for reading: ${(err as Error).message}`, { cause: err });
    }
    this.cache = cacheBytes > 0 ? new ValueCache(cacheBytes) : null;
    this.reads = new SqliteKeyReads(this.db, this.cache);
    this.countStmt = this.db.prepare<[], number>('SELECT count(*) FROM kv').pluck();
  }

  /** Entries in the cache (for tests and metrics). */
  get cachedKeys(): number {
    return this.cache?.size ?? 0;
  }

  get(key: string, now: number): Buffer | undefined {
    return this.reads.getStored(key, now);
  }

  getStored(key: string, now: number): Buffer | undefined {
    return this.reads.getStored(key, now);
  }

  has(key: string, now: number): boolean {
    return this.reads.has(key, now);
  }

  entry(key: string, now: number): RawEntry | undefined {
    return this.reads.entry(key, now);
  }

  scan(prefix: string, after: string | null, limit: number, now: number): string[] {
    return this.reads.scan(prefix, after, limit, now);
  }

  count(): number {
    return this.countStmt.get() ?? 0;
  }

  randomKey(now: number): string | undefined {
    return this.reads.randomKey(this.count(), now);
  }

  /** A write took its seq: forget every key it may change (all of them, for a flush or a sweep). */
  sequenced(ops: readonly WriteOp[]): void {
    const cache = this.cache;
    if (cache === null || cache.size === 0) return;
    if (!forEachWrittenKey(ops, this.forget)) cache.clear();
  }

  /** The replica's link left in-sync or came back: what it holds may have changed without a write. */
  unsynced(): void {
    this.cache?.clear();
  }

  close(): void {
    this.cache?.clear();
    if (this.db.open) this.db.close();
  }
}
