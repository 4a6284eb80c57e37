import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCode, KvndbError, compareKeys, type WriteResult } from '@kvndb/shared';
import { DataFileLock } from './file-lock';
import {
  applyOps,
  asBuffer,
  checkEntries,
  checkOps,
  checkPosition,
  entryBytes,
  type KvPrimitives,
  type Store,
  type StoredPosition,
  type StoreSnapshot,
  type WriteBatch,
} from './store';

export interface SqliteStoreOptions {
  /** NORMAL (default) survives process crashes; FULL also survives power loss, at a cost per commit. */
  sync?: 'normal' | 'full';
}

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
  private readonly getStmt: Database.Statement<[string], Buffer>;
  private readonly hasStmt: Database.Statement<[string], number>;
  private readonly putStmt: Database.Statement<[string, Buffer]>;
  private readonly delStmt: Database.Statement<[string]>;
  private readonly setPositionStmt: Database.Statement<[number, number]>;
  private readonly scanFromStmt: Database.Statement<[string, number], string>;
  private readonly scanAfterStmt: Database.Statement<[string, number], string>;
  private readonly countStmt: Database.Statement<[], number>;
  private readonly applyTxn: (batches: WriteBatch[]) => WriteResult[][];
  private readonly loadTxn: (entries: Array<[string, Uint8Array]>) => void;
  private readonly resetTxn: () => void;
  private readonly snapshots = new Set<SqliteSnapshot>();
  private epoch = 0;
  private seq = 0;

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
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS meta (id INTEGER PRIMARY KEY CHECK (id = 0), epoch INTEGER NOT NULL, seq INTEGER NOT NULL);
        INSERT OR IGNORE INTO meta (id, epoch, seq) VALUES (0, 0, 0);
        CREATE TABLE IF NOT EXISTS identity (id INTEGER PRIMARY KEY CHECK (id = 0), name TEXT NOT NULL, created_at INTEGER NOT NULL);
      `);
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
    this.getStmt = db.prepare<[string], Buffer>('SELECT value FROM kv WHERE key = ?').pluck();
    this.hasStmt = db.prepare<[string], number>('SELECT 1 FROM kv WHERE key = ?').pluck();
    this.putStmt = db.prepare<[string, Buffer]>('INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)');
    this.delStmt = db.prepare<[string]>('DELETE FROM kv WHERE key = ?');
    this.setPositionStmt = db.prepare<[number, number]>('UPDATE meta SET epoch = ?, seq = ? WHERE id = 0');
    this.scanFromStmt = db.prepare<[string, number], string>('SELECT key FROM kv WHERE key >= ? ORDER BY key LIMIT ?').pluck();
    this.scanAfterStmt = db.prepare<[string, number], string>('SELECT key FROM kv WHERE key > ? ORDER BY key LIMIT ?').pluck();
    this.countStmt = db.prepare<[], number>('SELECT count(*) FROM kv').pluck();
    const pos = db.prepare<[], { epoch: number; seq: number }>('SELECT epoch, seq FROM meta WHERE id = 0').get();
    this.epoch = pos?.epoch ?? 0;
    this.seq = pos?.seq ?? 0;

    // Ops are checked inside the transaction: a bad op rolls back every write of the group.
    this.applyTxn = db.transaction((batches: WriteBatch[]) => {
      const results: WriteResult[][] = new Array(batches.length);
      for (let i = 0; i < batches.length; i++) {
        checkPosition(batches[i]);
        checkOps(batches[i].ops);
        results[i] = applyOps(this, batches[i].ops);
      }
      if (batches.length > 0) {
        const last = batches[batches.length - 1];
        this.setPositionStmt.run(last.epoch, last.seq);
      }
      return results;
    });
    this.loadTxn = db.transaction((entries: Array<[string, Uint8Array]>) => {
      for (let i = 0; i < entries.length; i++) this.putStmt.run(entries[i][0], asBuffer(entries[i][1]));
    });
    this.resetTxn = db.transaction(() => {
      db.exec('DELETE FROM kv');
      this.setPositionStmt.run(0, 0);
    });
  }

  position(): StoredPosition {
    return { epoch: this.epoch, seq: this.seq };
  }

  get(key: string): Buffer | undefined {
    return this.getStmt.get(key);
  }

  /** SQLite hands out Buffers: the stored form is get()'s. */
  getStored(key: string): Buffer | undefined {
    return this.getStmt.get(key);
  }

  has(key: string): boolean {
    return this.hasStmt.get(key) !== undefined;
  }

  apply(batches: WriteBatch[]): WriteResult[][] {
    const results = this.applyTxn(batches);
    if (batches.length > 0) {
      const last = batches[batches.length - 1];
      this.epoch = last.epoch;
      this.seq = last.seq;
    }
    return results;
  }

  scan(prefix: string, after: string | null, limit: number): string[] {
    const out: string[] = [];
    if (limit <= 0) return out;
    const fromAfter = after !== null && compareKeys(after, prefix) >= 0;
    const stmt = fromAfter ? this.scanAfterStmt : this.scanFromStmt;
    const start = fromAfter ? (after as string) : prefix;
    // Keys sharing a prefix are contiguous in key order: stop reading at the first miss.
    for (const key of stmt.iterate(start, limit)) {
      if (!key.startsWith(prefix)) break;
      out.push(key);
    }
    return out;
  }

  snapshot(): StoreSnapshot {
    const snap = new SqliteSnapshot(this.file, this.snapshots);
    this.snapshots.add(snap);
    return snap;
  }

  reset(): void {
    this.resetTxn();
    this.epoch = 0;
    this.seq = 0;
  }

  load(entries: Array<[string, Uint8Array]>): void {
    checkEntries(entries);
    this.loadTxn(entries);
  }

  setPosition(position: StoredPosition): void {
    checkPosition(position);
    this.setPositionStmt.run(position.epoch, position.seq);
    this.epoch = position.epoch;
    this.seq = position.seq;
  }

  count(): number {
    return this.countStmt.get() ?? 0;
  }

  close(): void {
    for (const snap of [...this.snapshots]) snap.close();
    if (this.db.open) this.db.close();
    // Last: nobody else may open the file while this process still has it open.
    this.lock.release();
  }

  // KvPrimitives, used by applyOps inside the apply transaction.

  read(key: string): Buffer | undefined {
    return this.getStmt.get(key);
  }

  exists(key: string): boolean {
    return this.hasStmt.get(key) !== undefined;
  }

  put(key: string, value: Uint8Array): void {
    this.putStmt.run(key, asBuffer(value));
  }

  remove(key: string): boolean {
    return this.delStmt.run(key).changes > 0;
  }
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
  private readonly pageStmt: Database.Statement<[string, number], [string, Buffer]>;
  private lastKey = '';
  private closed = false;

  constructor(
    file: string,
    private readonly registry: Set<SqliteSnapshot>,
  ) {
    this.reader = new Database(file, { readonly: true, fileMustExist: true });
    try {
      this.pageStmt = this.reader
        .prepare<[string, number], [string, Buffer]>('SELECT key, value FROM kv WHERE key > ? ORDER BY key LIMIT ?')
        .raw();
      this.reader.exec('BEGIN');
      // BEGIN is deferred: the read snapshot is pinned by the first read, so read now.
      this.reader.prepare('SELECT seq FROM meta WHERE id = 0').get();
    } catch (err) {
      this.reader.close();
      throw new KvndbError(ErrorCode.REPLICA_ERROR, `cannot open a snapshot of ${file}: ${(err as Error).message}`, { cause: err });
    }
  }

  next(maxEntries: number, maxBytes: number): Array<[string, Buffer]> | null {
    if (this.closed) return null;
    const out: Array<[string, Buffer]> = [];
    let bytes = 0;
    for (const row of this.pageStmt.iterate(this.lastKey, Math.max(1, maxEntries))) {
      out.push(row);
      bytes += entryBytes(row[0], row[1]);
      if (bytes >= maxBytes) break;
    }
    if (out.length === 0) {
      this.close();
      return null;
    }
    this.lastKey = out[out.length - 1][0];
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
