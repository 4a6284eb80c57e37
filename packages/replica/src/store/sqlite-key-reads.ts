import type Database from 'better-sqlite3';
import { compareKeys, wrongType } from '@kvndb/shared';
import type { RawEntry } from './apply-ops';
import { readThroughCache, type ValueCache } from './value-cache';

/** A row is live until its expiry (0: none); the `?` is the read's time. */
const LIVE = '(expires = 0 OR expires > ?)';

/**
 * The key reads on a kvndb SQLite file's `kv` table, with the cache of recent values in
 * front of GET: one text and one answer for the replica's own store (sqlite-store.ts) and
 * for standalone's reader of that file on another thread (sqlite-reader.ts), so the two
 * cannot drift apart (the reader once lacked the content type the store had gained).
 * Prepared on a connection whose schema is current.
 */
export class SqliteKeyReads {
  private readonly getStmt: Database.Statement<[string, number], Buffer | null>;
  private readonly hasStmt: Database.Statement<[string, number], number>;
  private readonly rawEntryStmt: Database.Statement<[string], RawEntry>;
  private readonly scanFromStmt: Database.Statement<[string, number, number], string>;
  private readonly scanAfterStmt: Database.Statement<[string, number, number], string>;
  private readonly nthLiveStmt: Database.Statement<[number, number], string>;

  constructor(
    db: Database.Database,
    private readonly cache: ValueCache | null,
  ) {
    // NULL for a list: the string reads refuse it (WRONG_TYPE) at the cost of one comparison.
    this.getStmt = db.prepare<[string, number], Buffer | null>(`SELECT CASE WHEN llen = 0 THEN value END FROM kv WHERE key = ? AND ${LIVE}`).pluck();
    this.hasStmt = db.prepare<[string, number], number>(`SELECT 1 FROM kv WHERE key = ? AND ${LIVE}`).pluck();
    this.rawEntryStmt = db.prepare<[string], RawEntry>('SELECT value, version, updated, expires, llen AS list, content_type AS contentType FROM kv WHERE key = ?');
    this.scanFromStmt = db.prepare<[string, number, number], string>(`SELECT key FROM kv WHERE key >= ? AND ${LIVE} ORDER BY key LIMIT ?`).pluck();
    this.scanAfterStmt = db.prepare<[string, number, number], string>(`SELECT key FROM kv WHERE key > ? AND ${LIVE} ORDER BY key LIMIT ?`).pluck();
    this.nthLiveStmt = db.prepare<[number, number], string>(`SELECT key FROM kv WHERE ${LIVE} LIMIT 1 OFFSET ?`).pluck();
  }

  /** The live string at `key` (WRONG_TYPE for a list), through the cache when there is one. */
  getStored(key: string, now: number): Buffer | undefined {
    const cache = this.cache;
    if (cache === null) {
      const v = this.getStmt.get(key, now);
      if (v === null) throw wrongType();
      return v;
    }
    return readThroughCache(cache, key, now, this.rawEntry);
  }

  has(key: string, now: number): boolean {
    // A cached string answers; lists and keys not cached ask the file.
    const c = this.cache?.get(key);
    if (c !== undefined) return c.value !== null && (c.expires === 0 || c.expires > now);
    return this.hasStmt.get(key, now) !== undefined;
  }

  /** The row at `key`, live or not (the write primitives' view). */
  readonly rawEntry = (key: string): RawEntry | undefined => this.rawEntryStmt.get(key);

  /** The row at `key` if it is live at `now`. */
  entry(key: string, now: number): RawEntry | undefined {
    const e = this.rawEntryStmt.get(key);
    return e !== undefined && (e.expires === 0 || e.expires > now) ? e : undefined;
  }

  scan(prefix: string, after: string | null, limit: number, now: number): string[] {
    const out: string[] = [];
    if (limit <= 0) return out;
    const fromAfter = after !== null && compareKeys(after, prefix) >= 0;
    const stmt = fromAfter ? this.scanAfterStmt : this.scanFromStmt;
    const start = fromAfter ? (after as string) : prefix;
    // Keys sharing a prefix are contiguous in key order: stop reading at the first miss.
    for (const key of stmt.iterate(start, now, limit)) {
      if (!key.startsWith(prefix)) break;
      out.push(key);
    }
    return out;
  }

  /** A random live key among `count` rows (expired ones not yet swept included). */
  randomKey(count: number, now: number): string | undefined {
    if (count === 0) return undefined;
    // A WITHOUT ROWID table has no random access: OFFSET walks the key index, O(n) in the
    // rows skipped (a few ms per 100k keys), which a rarely used command can afford. An
    // offset past the live keys starts again at the first live key.
    return this.nthLiveStmt.get(now, Math.floor(Math.random() * count)) ?? this.nthLiveStmt.get(now, 0);
  }
}
