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
