import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCode, KvndbError, listSpan, wrongType, type WriteResult } from '@kvndb/shared';
import { DataFileLock } from './file-lock';
import { ValueCache } from './value-cache';
import { SqliteKeyReads } from './sqlite-key-reads';
import { RESTART_FRAMES, WalCheckpointer } from './wal-checkpointer';
import {
  applyOps,
  asBuffer,
  checkBatches,
  checkEntries,
  checkPosition,
  entryBytes,
  listPieces,
  stringEntry,
  type EntryMeta,
  type KvPrimitives,
  type RawEntry,
  type SnapshotEntry,
  type Store,
  type StoredPosition,
  type StoreSnapshot,
  type WriteBatch,
} from './store';

export interface SqliteStoreOptions {
  /** NORMAL (default) survives process crashes; FULL also survives power loss, at a cost per commit. */
  sync?: 'normal' | 'full';
  /** Bytes of recently read values kept in memory (value-cache.ts); 0 turns the cache off. Default 64 MiB. */
  cacheBytes?: number;
}

export const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * SQLite backend (better-sqlite3, the only file that touches the driver). The data and the
 * stream position live in one database and change in one transaction, so after a crash the
 * file holds a prefix of the write stream and says which. TEXT keys compare with the BINARY
 * collation, i.e. UTF-8 byte order, which is kvndb's key order (compareKeys).
 */
export class SqliteStore implements Store, KvPrimitives {
  readonly kind = 'sqlite';
  readonly file: string;
  /**
   * This data file's replica name, generated once when the file is created and kept in it
   * (`sqlite:<file name>@<hostname>-<random>`): the same across restarts of this file, and
   * different for every other file, even one of the same name. --reset does not change it.
   */
  readonly identity: string;
  private readonly lock: DataFileLock;
  private readonly db: Database.Database;
  /** Copies the write-ahead log into the file off the event loop (automatic checkpoints are off). */
  private readonly checkpointer: WalCheckpointer;
  /** Recent reads of strings, exact: every primitive that changes a key drops it (null: no cache). */
  private readonly cache: ValueCache | null;
  /** GET, EXISTS, entries, SCAN and RANDOMKEY on the kv table (shared with sqlite-reader.ts). */
  private readonly reads: SqliteKeyReads;
  private readonly listLenStmt: Database.Statement<[string, number], number>;
  private readonly listMetaStmt: Database.Statement<[string], { lhead: number; llen: number }>;
  private readonly listItemsStmt: Database.Statement<[string, number, number], Buffer>;
  private readonly listInsertStmt: Database.Statement<[string, number, Buffer]>;
  private readonly listDeleteStmt: Database.Statement<[string, number, number]>;
  private readonly listSetStmt: Database.Statement<[Buffer, string, number]>;
  private readonly listNewStmt: Database.Statement<[string, number, number, number, number, number]>;
  private readonly listUpdateStmt: Database.Statement<[number, number, number, number, string]>;
  private readonly metaStmt: Database.Statement<[string], EntryMeta>;
  private readonly putStmt: Database.Statement<[string, Buffer, number, number, number]>;
  private readonly putTypedStmt: Database.Statement<[string, Buffer, number, number, number, string]>;
  private readonly touchStmt: Database.Statement<[number, number, number, string]>;
  private readonly delStmt: Database.Statement<[string], number>;
  private readonly setPositionStmt: Database.Statement<[number, number, number]>;
  private readonly countStmt: Database.Statement<[], number>;
  private readonly expiringCountStmt: Database.Statement<[], number>;
  private readonly expiredStmt: Database.Statement<[number, number], string>;
  private readonly nextExpiryStmt: Database.Statement<[], number | null>;
  private readonly applyTxn: (batches: WriteBatch[]) => WriteResult[][];
  private readonly loadTxn: (entries: SnapshotEntry[]) => void;
  private readonly resetTxn: () => void;
  private readonly setPositionTxn: (epoch: number, seq: number, time: number) => void;
  private readonly snapshots = new Set<SqliteSnapshot>();
  private epoch = 0;
  private seq = 0;
  private lastTime = 0;
  /**
   * count() and expiringCount(), kept until the next change. count(*) walks the whole table
   * (values included: WITHOUT ROWID keeps them in the leaves), so INFO and DBSIZE polled
   * while nothing is written must not pay it each time. Removals (sweeps, DEL) keep the
   * counts exact through DELETE ... RETURNING: polled while a million keys were being swept,
   * recounting after every sweep blocked the replica for the length of a count(*) each time
   * (221 s to sweep 1M keys, GET p50 150 ms). Puts still drop the counts: exact counts on
   * every put would need a lookup per SET (INSERT OR REPLACE does not say whether it
   * replaced), which the write path is not going to pay for a statistic.
   */
  private counts: { keys: number; expiring: number } | null = null;

  constructor(file: string, options: SqliteStoreOptions = {}) {
    if (typeof file !== 'string' || file === '' || file === ':memory:') {
      // Snapshots read through a second connection, which needs a real file.
      throw KvndbError.badRequest('the SQLite backend needs a database file path (use the memory backend for in-memory data)');
    }
    const sync = options.sync ?? 'normal';
    if (sync !== 'normal' && sync !== 'full') throw KvndbError.badRequest(`sync must be "normal" or "full", got ${String(sync)}`);
    this.file = file;
    // Before the data file is even opened: a second process must not touch it.
    this.lock = DataFileLock.acquire(file);
    try {
      this.db = new Database(file);
    } catch (err) {
      this.lock.release();
      throw new KvndbError(ErrorCode.REPLICA_ERROR, `cannot open SQLite database ${file}: ${(err as Error).message}`, { cause: err });
    }
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
      // Checkpoints run on a worker thread (wal-checkpointer.ts), not inside a commit. SQLite's
      // own stays only as a backstop at twice the worker's RESTART size: a worker starved of
      // CPU must not let a steady writer grow the log without bound.
      this.db.pragma(`wal_autocheckpoint = ${2 * RESTART_FRAMES}`);
      // After the log is rewound its file is cut back to this size rather than kept at its peak.
      this.db.pragma('journal_size_limit = 33554432');
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS kv (
          key TEXT PRIMARY KEY, value BLOB NOT NULL,
          version INTEGER NOT NULL DEFAULT 1, updated INTEGER NOT NULL DEFAULT 0, expires INTEGER NOT NULL DEFAULT 0,
          llen INTEGER NOT NULL DEFAULT 0, lhead INTEGER NOT NULL DEFAULT 0,
          content_type TEXT
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS meta (id INTEGER PRIMARY KEY CHECK (id = 0), epoch INTEGER NOT NULL, seq INTEGER NOT NULL, time INTEGER NOT NULL DEFAULT 0);
        INSERT OR IGNORE INTO meta (id, epoch, seq) VALUES (0, 0, 0);
        CREATE TABLE IF NOT EXISTS identity (id INTEGER PRIMARY KEY CHECK (id = 0), name TEXT NOT NULL, created_at INTEGER NOT NULL);
      `);
      upgradeSchema(this.db);
      // A list: its kv row holds llen > 0 items at positions lhead .. lhead + llen - 1 of
      // list_items, so a push or pop at either end touches one row per item and the kv row,
      // never the rest of the list. Whatever removes or overwrites a list's kv row (DEL, SET,
      // a sweep, RENAME over it) drops its items through these triggers.
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS list_items (key TEXT NOT NULL, idx INTEGER NOT NULL, value BLOB NOT NULL, PRIMARY KEY (key, idx)) WITHOUT ROWID;
        CREATE TRIGGER IF NOT EXISTS kv_list_deleted AFTER DELETE ON kv WHEN old.llen > 0
          BEGIN DELETE FROM list_items WHERE key = old.key; END;
        CREATE TRIGGER IF NOT EXISTS kv_list_overwritten AFTER UPDATE OF llen ON kv WHEN old.llen > 0 AND new.llen = 0
          BEGIN DELETE FROM list_items WHERE key = old.key; END;
      `);
      this.db.exec('CREATE INDEX IF NOT EXISTS kv_expiry ON kv (expires, key) WHERE expires > 0');
      this.db
        .prepare('INSERT OR IGNORE INTO identity (id, name, created_at) VALUES (0, ?, ?)')
        .run(newIdentity(file), Date.now());
      this.identity = this.db.prepare<[], string>('SELECT name FROM identity WHERE id = 0').pluck().get() as string;
    } catch (err) {
      this.db.close();
      this.lock.release();
      throw new KvndbError(ErrorCode.REPLICA_ERROR, `cannot use SQLite database ${file}: ${(err as Error).message}`, { cause: err });
    }
    const db = this.db;
    this.checkpointer = new WalCheckpointer(file);
    const cacheBytes = options.cacheBytes ?? DEFAULT_CACHE_BYTES;
    this.cache = cacheBytes > 0 ? new ValueCache(cacheBytes) : null;
    const live = '(expires = 0 OR expires > ?)';
    this.listLenStmt = db.prepare<[string, number], number>(`SELECT llen FROM kv WHERE key = ? AND ${live}`).pluck();
    this.listMetaStmt = db.prepare<[string], { lhead: number; llen: number }>('SELECT lhead, llen FROM kv WHERE key = ?');
    this.listItemsStmt = db.prepare<[string, number, number], Buffer>('SELECT value FROM list_items WHERE key = ? AND idx BETWEEN ? AND ? ORDER BY idx').pluck();
    this.listInsertStmt = db.prepare<[string, number, Buffer]>('INSERT INTO list_items (key, idx, value) VALUES (?, ?, ?)');
    this.listDeleteStmt = db.prepare<[string, number, number]>('DELETE FROM list_items WHERE key = ? AND idx BETWEEN ? AND ?');
    this.listSetStmt = db.prepare<[Buffer, string, number]>('UPDATE list_items SET value = ? WHERE key = ? AND idx = ?');
    this.listNewStmt = db.prepare<[string, number, number, number, number, number]>(
      "INSERT INTO kv (key, value, version, updated, expires, llen, lhead) VALUES (?, x'', ?, ?, ?, ?, ?)",
    );
    this.listUpdateStmt = db.prepare<[number, number, number, number, string]>('UPDATE kv SET llen = ?, lhead = ?, version = ?, updated = ? WHERE key = ?');
    this.reads = new SqliteKeyReads(db, this.cache);
    this.metaStmt = db.prepare<[string], EntryMeta>('SELECT version, updated, expires, llen AS list FROM kv WHERE key = ?');
    this.putStmt = db.prepare<[string, Buffer, number, number, number]>(
      // An upsert, not INSERT OR REPLACE: with the expiry index on the table, REPLACE deletes
      // and re-inserts an overwritten row (its index entries included), which made overwrites
      // 3x slower (71k -> 22k sets/s in groups of 16); the upsert updates the row in place and
      // touches the partial index only when an expiry is involved.
      // llen = 0: a SET over a list replaces it (the trigger drops its items).
      // A plain SET binds no content type: the statement clears it (a column left out is NULL).
      'INSERT INTO kv (key, value, version, updated, expires) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version, updated = excluded.updated, expires = excluded.expires, llen = 0, lhead = 0, content_type = NULL',
    );
    this.putTypedStmt = db.prepare<[string, Buffer, number, number, number, string]>(
      'INSERT INTO kv (key, value, version, updated, expires, content_type) VALUES (?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version, updated = excluded.updated, expires = excluded.expires, llen = 0, lhead = 0, ' +
        'content_type = excluded.content_type',
    );
    this.touchStmt = db.prepare<[number, number, number, string]>('UPDATE kv SET version = ?, updated = ?, expires = ? WHERE key = ?');
    // RETURNING says whether a key went and whether it had an expiry: counts stay exact through sweeps.
    this.delStmt = db.prepare<[string], number>('DELETE FROM kv WHERE key = ? RETURNING expires').pluck();
    this.setPositionStmt = db.prepare<[number, number, number]>('UPDATE meta SET epoch = ?, seq = ?, time = max(time, ?) WHERE id = 0');
    this.countStmt = db.prepare<[], number>('SELECT count(*) FROM kv').pluck();
    this.expiringCountStmt = db.prepare<[], number>('SELECT count(*) FROM kv WHERE expires > 0').pluck();
    this.expiredStmt = db
      .prepare<[number, number], string>('SELECT key FROM kv WHERE expires > 0 AND expires <= ? ORDER BY expires, key LIMIT ?')
      .pluck();
    this.nextExpiryStmt = db.prepare<[], number | null>('SELECT min(expires) FROM kv WHERE expires > 0').pluck();
    const pos = db.prepare<[], { epoch: number; seq: number; time: number }>('SELECT epoch, seq, time FROM meta WHERE id = 0').get();
    this.epoch = pos?.epoch ?? 0;
    this.seq = pos?.seq ?? 0;
    this.lastTime = pos?.time ?? 0;

    // Every write transaction is BEGIN IMMEDIATE: it takes the write lock before it reads. A
    // deferred one reads first, and if the checkpointer rewound the log in between, its
    // upgrade to a writer fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT,
    // which no busy timeout retries); an immediate one waits on the busy timeout instead.
    // Ops are checked inside the transaction: a bad op rolls back every write of the group.
    const applyTxn = db.transaction((batches: WriteBatch[]) => {
      checkBatches(batches);
      const results: WriteResult[][] = new Array(batches.length);
      for (let i = 0; i < batches.length; i++) {
        const b = batches[i];
        results[i] = applyOps(this, b.ops, { seq: b.seq, time: b.time });
      }
      if (batches.length > 0) {
        const last = batches[batches.length - 1];
        this.setPositionStmt.run(last.epoch, last.seq, last.time);
      }
      return results;
    });
    this.applyTxn = applyTxn.immediate;
    const loadTxn = db.transaction((entries: SnapshotEntry[]) => {
      for (let i = 0; i < entries.length; i++) {
        const [key, value, version, updated, expires, more] = entries[i];
        // A string's sixth element is its content type (checkEntries checked it).
        if (!Array.isArray(value)) this.putRow(key, value, version, updated, expires, more as string | undefined);
        else {
          // A list's first piece replaces the key; the pieces after it (more) extend it.
          if (more !== true) this.delStmt.get(key);
          this.listPush(key, value, false, version, updated, expires);
        }
      }
    });
    this.loadTxn = loadTxn.immediate;
    this.resetTxn = db.transaction(() => {
      db.exec('DELETE FROM list_items');
      db.exec('DELETE FROM kv');
      db.exec('UPDATE meta SET epoch = 0, seq = 0, time = 0 WHERE id = 0');
    }).immediate;
    this.setPositionTxn = db.transaction((epoch: number, seq: number, time: number) => {
      this.setPositionStmt.run(epoch, seq, time);
    }).immediate;
  }

  position(): StoredPosition {
    return { epoch: this.epoch, seq: this.seq };
  }

  time(): number {
    return this.lastTime;
  }

  get(key: string, now: number): Buffer | undefined {
    return this.getStored(key, now);
  }

  /** SQLite hands out Buffers: the stored form is get()'s. */
  getStored(key: string, now: number): Buffer | undefined {
    return this.reads.getStored(key, now);
  }

  typeOf(key: string, now: number): 'string' | 'list' | undefined {
    const n = this.listLenStmt.get(key, now);
    return n === undefined ? undefined : n > 0 ? 'list' : 'string';
  }

  listLength(key: string, now: number): number {
    const n = this.listLenStmt.get(key, now);
    if (n === undefined) return 0;
    if (n === 0) throw wrongType();
    return n;
  }

  list(key: string, start: number, stop: number, now: number): Buffer[] {
    const span = listSpan(start, stop, this.listLength(key, now));
    return span === null ? [] : this.listRange(key, span[0], span[1]);
  }

  has(key: string, now: number): boolean {
    return this.reads.has(key, now);
  }

  entry(key: string, now: number): RawEntry | undefined {
    return this.reads.entry(key, now);
  }

  apply(batches: WriteBatch[]): WriteResult[][] {
    let results: WriteResult[][];
    try {
      results = this.applyTxn(batches);
      this.checkpointer.committed();
    } catch (err) {
      // Rolled back: counts adjusted by removals inside it are no longer true.
      this.counts = null;
      throw err;
    }
    if (batches.length > 0) {
      const last = batches[batches.length - 1];
      this.epoch = last.epoch;
      this.seq = last.seq;
      if (last.time > this.lastTime) this.lastTime = last.time;
    }
    return results;
  }

  scan(prefix: string, after: string | null, limit: number, now: number): string[] {
    return this.reads.scan(prefix, after, limit, now);
  }

  randomKey(now: number): string | undefined {
    // The count includes expired keys not yet swept (SqliteKeyReads.randomKey).
    return this.reads.randomKey(this.count(), now);
  }

  snapshot(): StoreSnapshot {
    const snap = new SqliteSnapshot(this.file, this.snapshots);
    this.snapshots.add(snap);
    return snap;
  }

  reset(): void {
    this.counts = null;
    this.cache?.clear();
    this.resetTxn();
    this.checkpointer.committed();
    this.epoch = 0;
    this.seq = 0;
    this.lastTime = 0;
  }

  load(entries: SnapshotEntry[]): void {
    checkEntries(entries);
    this.counts = null;
    this.cache?.clear();
    this.loadTxn(entries);
    this.checkpointer.committed();
  }

  setPosition(position: StoredPosition, time = 0): void {
    checkPosition(position);
    this.setPositionTxn(position.epoch, position.seq, time);
    this.checkpointer.committed();
    this.epoch = position.epoch;
    this.seq = position.seq;
    if (time > this.lastTime) this.lastTime = time;
  }

  count(): number {
    return this.countsNow().keys;
  }

  expiringCount(): number {
    return this.countsNow().expiring;
  }

  private countsNow(): { keys: number; expiring: number } {
    return (this.counts ??= { keys: this.countStmt.get() ?? 0, expiring: this.expiringCountStmt.get() ?? 0 });
  }

  close(): void {
    for (const snap of [...this.snapshots]) snap.close();
    this.checkpointer.stop();
    if (this.db.open) this.db.close();
    // Last: nobody else may open the file while this process still has it open.
    this.lock.release();
  }

  // KvPrimitives, used by applyOps inside the apply transaction.

  rawEntry(key: string): RawEntry | undefined {
    return this.reads.rawEntry(key);
  }

  meta(key: string): EntryMeta | undefined {
    return this.metaStmt.get(key);
  }

  put(key: string, value: Uint8Array, version: number, updated: number, expires: number, contentType?: string): void {
    this.counts = null;
    this.cache?.delete(key);
    this.putRow(key, value, version, updated, expires, contentType);
  }

  private putRow(key: string, value: Uint8Array, version: number, updated: number, expires: number, contentType: string | undefined): void {
    if (contentType === undefined) this.putStmt.run(key, asBuffer(value), version, updated, expires);
    else this.putTypedStmt.run(key, asBuffer(value), version, updated, expires, contentType);
  }

  touch(key: string, version: number, updated: number, expires: number): void {
    this.counts = null;
    this.cache?.delete(key);
    this.touchStmt.run(version, updated, expires, key);
  }

  remove(key: string): boolean {
    this.cache?.delete(key);
    const expires = this.delStmt.get(key);
    if (expires === undefined) return false;
    const counts = this.counts;
    if (counts !== null) {
      counts.keys--;
      if (expires > 0) counts.expiring--;
    }
    return true;
  }

  listRange(key: string, start: number, stop: number): Buffer[] {
    const m = this.listMetaStmt.get(key) as { lhead: number; llen: number };
    return this.listItemsStmt.all(key, m.lhead + start, m.lhead + stop);
  }

  listPush(key: string, values: readonly Uint8Array[], left: boolean, version: number, updated: number, expires: number): number {
    // A cached absence of the key would hide the new list's WRONG_TYPE from string reads.
    this.cache?.delete(key);
    const m = this.listMetaStmt.get(key);
    let head = m?.lhead ?? 0;
    let length = m?.llen ?? 0;
    for (let i = 0; i < values.length; i++) {
      const idx = left ? --head : head + length;
      this.listInsertStmt.run(key, idx, asBuffer(values[i]));
      length++;
    }
    if (m === undefined) {
      this.counts = null;
      this.listNewStmt.run(key, version, updated, expires, length, head);
    } else {
      this.listUpdateStmt.run(length, head, version, updated, key);
    }
    return length;
  }

  listPop(key: string, count: number, left: boolean, version: number, updated: number): Buffer[] {
    this.cache?.delete(key);
    const m = this.listMetaStmt.get(key) as { lhead: number; llen: number };
    const n = Math.min(count, m.llen);
    const from = left ? m.lhead : m.lhead + m.llen - n;
    const to = from + n - 1;
    const items = this.listItemsStmt.all(key, from, to);
    if (!left) items.reverse();
    if (n === m.llen) {
      this.remove(key);
    } else {
      this.listDeleteStmt.run(key, from, to);
      this.listUpdateStmt.run(m.llen - n, left ? m.lhead + n : m.lhead, version, updated, key);
    }
    return items;
  }

  listSet(key: string, index: number, value: Uint8Array, version: number, updated: number): void {
    this.cache?.delete(key);
    const m = this.listMetaStmt.get(key) as { lhead: number; llen: number };
    this.listSetStmt.run(asBuffer(value), key, m.lhead + index);
    this.listUpdateStmt.run(m.llen, m.lhead, version, updated, key);
  }

  expiredKeys(now: number, limit: number): string[] {
    return this.expiredStmt.all(now, limit);
  }

  nextExpiry(): number {
    return this.nextExpiryStmt.get() ?? 0;
  }

  clear(): void {
    this.counts = { keys: 0, expiring: 0 };
    this.cache?.clear();
    this.db.exec('DELETE FROM list_items');
    this.db.exec('DELETE FROM kv');
  }
}

/**
 * Files written before keys carried versions and expiry (then lists, then content types) get the columns. Such keys get
 * version 1 on every replica alike (a version must never differ between replicas holding
 * the same key), no updated time and no expiry.
 */
function upgradeSchema(db: Database.Database): void {
  const has = (table: string, column: string): boolean =>
    (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).some((c) => c.name === column);
  if (!has('kv', 'version')) {
    db.exec(`
      ALTER TABLE kv ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE kv ADD COLUMN updated INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE kv ADD COLUMN expires INTEGER NOT NULL DEFAULT 0;
    `);
  }
  if (!has('meta', 'time')) db.exec('ALTER TABLE meta ADD COLUMN time INTEGER NOT NULL DEFAULT 0');
  if (!has('kv', 'llen')) {
    db.exec(`
      ALTER TABLE kv ADD COLUMN llen INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE kv ADD COLUMN lhead INTEGER NOT NULL DEFAULT 0;
    `);
  }
  // Files from before content types: every key has none (NULL), on every replica alike.
  if (!has('kv', 'content_type')) db.exec('ALTER TABLE kv ADD COLUMN content_type TEXT');
}

function newIdentity(file: string): string {
  return `sqlite:${path.basename(file)}@${os.hostname()}-${randomBytes(3).toString('hex')}`;
}

/**
 * A read transaction on a second, read-only connection. In WAL mode it sees the database as
 * of its first read, however long it stays open and whatever the writer commits meanwhile;
 * keyset pagination (`key > last`) walks it in chunks.
 */
class SqliteSnapshot implements StoreSnapshot {
  private readonly reader: Database.Database;
  private readonly pageStmt: Database.Statement<[string, number], [string, Buffer, number, number, number, number, string | null]>;
  private readonly itemsStmt: Database.Statement<[string], Buffer>;
  private lastKey = '';
  /** Entries of a long list not yet sent: the next chunk starts with them. */
  private queued: SnapshotEntry[] = [];
  private closed = false;

  constructor(
    file: string,
    private readonly registry: Set<SqliteSnapshot>,
  ) {
    this.reader = new Database(file, { readonly: true, fileMustExist: true });
    try {
      this.pageStmt = this.reader
        .prepare<[string, number], [string, Buffer, number, number, number, number, string | null]>(
          'SELECT key, value, version, updated, expires, llen, content_type FROM kv WHERE key > ? ORDER BY key LIMIT ?',
        )
        .raw();
      this.itemsStmt = this.reader.prepare<[string], Buffer>('SELECT value FROM list_items WHERE key = ? ORDER BY idx').pluck();
      this.reader.exec('BEGIN');
      // BEGIN is deferred: the read snapshot is pinned by the first read, so read now.
      this.reader.prepare('SELECT seq FROM meta WHERE id = 0').get();
    } catch (err) {
      this.reader.close();
      throw new KvndbError(ErrorCode.REPLICA_ERROR, `cannot open a snapshot of ${file}: ${(err as Error).message}`, { cause: err });
    }
  }

  next(maxEntries: number, maxBytes: number): SnapshotEntry[] | null {
    if (this.closed) return null;
    const out: SnapshotEntry[] = [];
    let bytes = 0;
    const full = (): boolean => out.length >= maxEntries || bytes >= maxBytes;
    while (this.queued.length > 0 && !full()) {
      const entry = this.queued.shift()!;
      out.push(entry);
      bytes += entryBytes(entry[0], entry[1]);
    }
    if (full()) return out;
    // Rows are read into an array first: a list's items come from the same connection.
    const rows = this.pageStmt.all(this.lastKey, Math.max(1, maxEntries - out.length));
    for (const row of rows) {
      const [key, value, version, updated, expires, llen, contentType] = row;
      this.lastKey = key;
      const entries: SnapshotEntry[] =
        llen > 0 ? listPieces(key, this.itemsStmt.all(key), version, updated, expires) : [stringEntry(key, value, version, updated, expires, contentType)];
      for (let j = 0; j < entries.length; j++) {
        if (full()) {
          this.queued = entries.slice(j);
          return out;
        }
        out.push(entries[j]);
        bytes += entryBytes(key, entries[j][1]);
      }
      if (full()) return out;
    }
    if (out.length === 0) {
      this.close();
      return null;
    }
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.registry.delete(this);
    if (this.reader.inTransaction) this.reader.exec('COMMIT');
    this.reader.close();
  }
}
