import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KvndbError } from '@kvndb/shared';
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
    store.apply([{ epoch: 1, seq: 1, ops: [['s', 'a', Buffer.from('1')]] }]);
    expect(fs.existsSync(`${file}-wal`)).toBe(true);
    store.close();
    const again = new SqliteStore(file);
    expect(again.get('a')).toEqual(Buffer.from('1'));
    again.close();
  });

  test('a store that is closed with a snapshot open closes the snapshot too', () => {
    const store = new SqliteStore(newFile());
    store.apply([{ epoch: 1, seq: 1, ops: [['s', 'a', Buffer.from('1')]] }]);
    const snap = store.snapshot();
    store.close();
    expect(snap.next(10, 1000)).toBeNull();
  });
});
