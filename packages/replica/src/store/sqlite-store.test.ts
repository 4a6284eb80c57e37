import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KvndbError } from '@kvndb/shared';
import Database from 'better-sqlite3';
import { DataFileLockedError } from './file-lock';
import { SqliteStore } from './sqlite-store';
import type { Store } from './store';
import { storeContractSuite } from './store-contract.test-suite';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvndb-sqlite-'));
let n = 0;
const newFile = () => path.join(dir, `store-${++n}.db`);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

storeContractSuite('SqliteStore', () => new SqliteStore(newFile()), {
  reopen: (store: Store) => {
    const file = (store as SqliteStore).file;
    store.close();
    return new SqliteStore(file);
  },
});

// The value cache off: every read goes to the file (the path the cache must agree with).
storeContractSuite('SqliteStore without the value cache', () => new SqliteStore(newFile(), { cacheBytes: 0 }), {
  reopen: (store: Store) => {
    const file = (store as SqliteStore).file;
    store.close();
    return new SqliteStore(file, { cacheBytes: 0 });
  },
});

describe('SqliteStore value cache', () => {
  test('a read after any kind of write sees the write, and a refused group leaves reads as they were', () => {
    const store = new SqliteStore(newFile());
    let seq = 0;
    const w = (...ops: unknown[]) => store.apply([{ epoch: 1, seq: ++seq, time: 100, ops: ops as never }]);
    try {
      const read = (k: string, now = 100) => store.get(k, now)?.toString();
      w(['s', 'a', Buffer.from('1')]);
      expect(read('a')).toBe('1'); // filled
      expect(read('nope')).toBeUndefined(); // an absence, filled too
      w(['i', 'a', '5']);
      expect(read('a')).toBe('6');
      w(['a', 'a', Buffer.from('x'), 1 << 20]);
      expect(read('a')).toBe('6x');
      w(['s', 'nope', Buffer.from('now')]);
      expect(read('nope')).toBe('now');
      w(['e', 'a', 50, null, 0]);
      expect(read('a', 149)).toBe('6x');
      expect(read('a', 151)).toBeUndefined(); // the cached entry keeps the expiry
      w(['d', 'nope']);
      expect(read('nope')).toBeUndefined();
      w(['s', 'b', Buffer.from('2')]);
      expect(read('b')).toBe('2');
      expect(() => store.apply([{ epoch: 1, seq: seq + 1, time: 100, ops: [['s', 'b', Buffer.from('3')], ['bogus']] as never }])).toThrow();
      expect(read('b')).toBe('2');
      // A cached absence, then a list at the key: string reads are refused, EXISTS sees it.
      expect(read('q')).toBeUndefined();
      w(['L', 'q', [Buffer.from('x')], false, false]);
      expect(() => read('q')).toThrow(expect.objectContaining({ code: 'WRONG_TYPE' }));
      expect(store.has('q', 100)).toBe(true);
      w(['F']);
      expect(read('b')).toBeUndefined();
      expect(store.has('b', 100)).toBe(false);
    } finally {
      store.close();
    }
  });
});

describe('SqliteStore specifics', () => {
  test('refuses an in-memory database and bad options with a clear error', () => {
    expect(() => new SqliteStore(':memory:')).toThrow(KvndbError);
    expect(() => new SqliteStore('')).toThrow(/file path/);
    expect(() => new SqliteStore(newFile(), { sync: 'sometimes' as 'full' })).toThrow(KvndbError);
    expect(() => new SqliteStore(path.join(dir, 'no', 'such', 'dir', 'x.db'))).toThrow(/cannot open SQLite database/);
  });

  test('sync full works and the file is in WAL mode', () => {
    const file = newFile();
    const store = new SqliteStore(file, { sync: 'full' });
    store.apply([{ epoch: 1, seq: 1, time: 1, ops: [['s', 'a', Buffer.from('1')]] }]);
    expect(fs.existsSync(`${file}-wal`)).toBe(true);
    store.close();
    const again = new SqliteStore(file);
    expect(again.get('a', 1)).toEqual(Buffer.from('1'));
    again.close();
  });

  test('a store that is closed with a snapshot open closes the snapshot too', () => {
    const store = new SqliteStore(newFile());
    store.apply([{ epoch: 1, seq: 1, time: 1, ops: [['s', 'a', Buffer.from('1')]] }]);
    const snap = store.snapshot();
    store.close();
    expect(snap.next(10, 1000)).toBeNull();
  });
});

describe('SqliteStore identity and lock', () => {
  test('a second store on the same file is refused, naming the file, and the first keeps working', () => {
    const file = newFile();
    const first = new SqliteStore(file);
    first.apply([{ epoch: 1, seq: 1, time: 1, ops: [['s', 'a', Buffer.from('1')]] }]);
    let err: unknown;
    try {
      new SqliteStore(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataFileLockedError);
    expect((err as Error).message).toContain(file);
    expect((err as DataFileLockedError).holderPid).toBe(process.pid);
    // The failed attempt must not have dropped the first one's lock (POSIX locks are per process).
    expect(() => new SqliteStore(file)).toThrow(DataFileLockedError);
    first.apply([{ epoch: 1, seq: 2, time: 1, ops: [['s', 'b', Buffer.from('2')]] }]);
    expect(first.position()).toEqual({ epoch: 1, seq: 2 });
    first.close();
    const again = new SqliteStore(file);
    expect(again.get('b', 1)).toEqual(Buffer.from('2'));
    again.close();
  });

  test('readers can still open the data file read-only while the store holds it', () => {
    const file = newFile();
    const store = new SqliteStore(file);
    store.apply([{ epoch: 3, seq: 7, time: 1, ops: [['s', 'k', Buffer.from('v')]] }]);
    const reader = new Database(file, { readonly: true, fileMustExist: true });
    try {
      expect(reader.prepare('SELECT seq FROM meta').pluck().get()).toBe(7);
      expect(reader.prepare('SELECT count(*) FROM kv').pluck().get()).toBe(1);
    } finally {
      reader.close();
      store.close();
    }
  });

  test('the identity is made once per file, kept across reopen and --reset, and differs between files', () => {
    const file = newFile();
    const a = new SqliteStore(file);
    const id = a.identity;
    expect(id).toMatch(new RegExp(`^sqlite:${path.basename(file).replace('.', '\\.')}@${os.hostname()}-[0-9a-f]{6}$`));
    a.apply([{ epoch: 1, seq: 1, time: 1, ops: [['s', 'a', Buffer.from('1')]] }]);
    a.reset();
    a.close();
    const reopened = new SqliteStore(file);
    expect(reopened.identity).toBe(id);
    reopened.close();
    // Same file name in another directory: another replica.
    const otherDir = fs.mkdtempSync(path.join(dir, 'other-'));
    const twin = new SqliteStore(path.join(otherDir, path.basename(file)));
    expect(twin.identity).not.toBe(id);
    expect(twin.identity.startsWith(`sqlite:${path.basename(file)}@`)).toBe(true);
    twin.close();
  });

  test('a file that cannot be locked (no such directory) is a clear error and leaves nothing behind', () => {
    const missing = path.join(dir, 'missing-dir', 'x.db');
    expect(() => new SqliteStore(missing)).toThrow(/cannot open SQLite database .*x\.db/);
    expect(fs.existsSync(path.dirname(missing))).toBe(false);
  });
});

describe('SqliteStore schema upgrade', () => {
  test('a file of the previous schema (kv(key, value), meta(id, epoch, seq)) is upgraded in place, keeping data, position and name', () => {
    const file = newFile();
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    old.exec(`
      CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
      CREATE TABLE meta (id INTEGER PRIMARY KEY CHECK (id = 0), epoch INTEGER NOT NULL, seq INTEGER NOT NULL);
      INSERT INTO meta (id, epoch, seq) VALUES (0, 1700000000, 42);
      CREATE TABLE identity (id INTEGER PRIMARY KEY CHECK (id = 0), name TEXT NOT NULL, created_at INTEGER NOT NULL);
      INSERT INTO identity (id, name, created_at) VALUES (0, 'sqlite:old.db@host-abcdef', 1);
    `);
    const insert = old.prepare('INSERT INTO kv (key, value) VALUES (?, ?)');
    insert.run('a', Buffer.from('1'));
    insert.run('b', Buffer.from([0, 255, 7]));
    old.close();

    const store = new SqliteStore(file);
    try {
      expect(store.identity).toBe('sqlite:old.db@host-abcdef');
      expect(store.position()).toEqual({ epoch: 1700000000, seq: 42 });
      expect(store.time()).toBe(0);
      // Keys from before versions: version 1 on every replica alike, no updated time, no expiry.
      expect(store.entry('a', 1)).toEqual({ value: Buffer.from('1'), version: 1, updated: 0, expires: 0, list: 0, contentType: null });
      expect(store.get('b', 1e12)).toEqual(Buffer.from([0, 255, 7]));
      expect([store.count(), store.expiringCount(), store.nextExpiry()]).toEqual([2, 0, 0]);
      // The upgraded file takes the new model's writes.
      store.apply([{ epoch: 1700000000, seq: 43, time: 5000, ops: [['e', 'a', 100, null, 0]] }]);
      expect(store.entry('a', 5000)).toMatchObject({ version: 43, updated: 5000, expires: 5100 });
      expect(store.apply([{ epoch: 1700000000, seq: 44, time: 5100, ops: [['x', 10]] }])).toEqual([[[['a'], 0]]]);
    } finally {
      store.close();
    }
    const again = new SqliteStore(file);
    expect([again.position(), again.time(), again.scan('', null, 10, 6000)]).toEqual([{ epoch: 1700000000, seq: 44 }, 5100, ['b']]);
    const cols = (again as unknown as { db: Database.Database }).db.prepare('PRAGMA table_info(kv)').all() as Array<{ name: string }>;
    expect(cols.map((c) => c.name)).toEqual(['key', 'value', 'version', 'updated', 'expires', 'llen', 'lhead', 'content_type']);
    again.close();
  });

  test('a file from before content types gets the column: its keys have none, and new writes can set one', () => {
    const file = newFile();
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    old.exec(`
      CREATE TABLE kv (
        key TEXT PRIMARY KEY, value BLOB NOT NULL,
        version INTEGER NOT NULL DEFAULT 1, updated INTEGER NOT NULL DEFAULT 0, expires INTEGER NOT NULL DEFAULT 0,
        llen INTEGER NOT NULL DEFAULT 0, lhead INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;
      CREATE TABLE meta (id INTEGER PRIMARY KEY CHECK (id = 0), epoch INTEGER NOT NULL, seq INTEGER NOT NULL, time INTEGER NOT NULL DEFAULT 0);
      INSERT INTO meta (id, epoch, seq, time) VALUES (0, 5, 10, 777);
      INSERT INTO kv (key, value, version, updated) VALUES ('a', x'31', 10, 777);
    `);
    old.close();
    const store = new SqliteStore(file);
    try {
      expect(store.entry('a', 1)).toEqual({ value: Buffer.from('1'), version: 10, updated: 777, expires: 0, list: 0, contentType: null });
      store.apply([{ epoch: 5, seq: 11, time: 800, ops: [['s', 'b', Buffer.from('<b/>'), { ct: 'text/html' }], ['a', 'a', Buffer.from('2')]] }]);
      expect([store.entry('a', 800)?.contentType, store.entry('b', 800)?.contentType]).toEqual([null, 'text/html']);
    } finally {
      store.close();
    }
  });

  test('count() is cached until the next change', () => {
    const store = new SqliteStore(newFile());
    store.apply([{ epoch: 1, seq: 1, time: 10, ops: [['s', 'a', Buffer.from('1')], ['s', 'b', Buffer.from('2'), { px: 5 }]] }]);
    expect([store.count(), store.expiringCount()]).toEqual([2, 1]);
    store.apply([{ epoch: 1, seq: 2, time: 20, ops: [['x', 10]] }]);
    expect([store.count(), store.expiringCount()]).toEqual([1, 0]);
    store.load([['c', Buffer.from('3'), 1, 1, 99]]);
    expect([store.count(), store.expiringCount()]).toEqual([2, 1]);
    store.reset();
    expect([store.count(), store.expiringCount()]).toEqual([0, 0]);
    store.close();
  });
});
