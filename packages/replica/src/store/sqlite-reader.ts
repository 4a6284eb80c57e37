import Database from 'better-sqlite3';
import { ErrorCode, KvndbError, compareKeys, forEachWrittenKey, wrongType, type ReadStore, type WriteOp } from '@kvndb/shared';
import type { RawEntry } from './apply-ops';
import { ValueCache, readThroughCache } from './value-cache';

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
  private readonly getStmt: Database.Statement<[string, number], Buffer | null>;
  private readonly rawEntryStmt: Database.Statement<[string], RawEntry>;
  private readonly hasStmt: Database.Statement<[string, number], number>;
  private readonly scanFromStmt: Database.Statement<[string, number, number], string>;
  private readonly scanAfterStmt: Database.Statement<[string, number, number], string>;
  private readonly nthLiveStmt: Database.Statement<[number, number], string>;
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
    const db = this.db;
    const live = '(expires = 0 OR expires > ?)';
    this.getStmt = db.prepare<[string, number], Buffer | null>(`SELECT CASE WHEN llen = 0 THEN value END FROM kv WHERE key = ? AND ${live}`).pluck();
    this.rawEntryStmt = db.prepare<[string], RawEntry>('SELECT value, version, updated, expires, llen AS list FROM kv WHERE key = ?');
    this.hasStmt = db.prepare<[string, number], number>(`SELECT 1 FROM kv WHERE key = ? AND ${live}`).pluck();
    this.scanFromStmt = db.prepare<[string, number, number], string>(`SELECT key FROM kv WHERE key >= ? AND ${live} ORDER BY key LIMIT ?`).pluck();
    this.scanAfterStmt = db.prepare<[string, number, number], string>(`SELECT key FROM kv WHERE key > ? AND ${live} ORDER BY key LIMIT ?`).pluck();
    this.nthLiveStmt = db.prepare<[number, number], string>(`SELECT key FROM kv WHERE ${live} LIMIT 1 OFFSET ?`).pluck();
    this.countStmt = db.prepare<[], number>('SELECT count(*) FROM kv').pluck();
  }

  /** Entries in the cache (for tests and metrics). */
  get cachedKeys(): number {
    return this.cache?.size ?? 0;
  }

  get(key: string, now: number): Buffer | undefined {
    return this.getStored(key, now);
  }

  getStored(key: string, now: number): Buffer | undefined {
    if (this.cache !== null) return readThroughCache(this.cache, key, now, this.loadEntry);
    const v = this.getStmt.get(key, now);
    if (v === null) throw wrongType();
    return v;
  }

  has(key: string, now: number): boolean {
    const c = this.cache?.get(key);
    if (c !== undefined) return c.value !== null && (c.expires === 0 || c.expires > now);
    return this.hasStmt.get(key, now) !== undefined;
  }

  entry(key: string, now: number): RawEntry | undefined {
    const e = this.rawEntryStmt.get(key);
    return e !== undefined && (e.expires === 0 || e.expires > now) ? e : undefined;
  }

  scan(prefix: string, after: string | null, limit: number, now: number): string[] {
    const out: string[] = [];
    if (limit <= 0) return out;
    const fromAfter = after !== null && compareKeys(after, prefix) >= 0;
    const stmt = fromAfter ? this.scanAfterStmt : this.scanFromStmt;
    for (const key of stmt.iterate(fromAfter ? (after as string) : prefix, now, limit)) {
      if (!key.startsWith(prefix)) break;
      out.push(key);
    }
    return out;
  }

  count(): number {
    return this.countStmt.get() ?? 0;
  }

  randomKey(now: number): string | undefined {
    const n = this.count();
    if (n === 0) return undefined;
    return this.nthLiveStmt.get(now, Math.floor(Math.random() * n)) ?? this.nthLiveStmt.get(now, 0);
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

  private readonly loadEntry = (key: string): RawEntry | undefined => this.rawEntryStmt.get(key);
}
