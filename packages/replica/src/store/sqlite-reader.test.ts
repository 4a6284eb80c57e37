import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WriteOp } from '@kvndb/shared';
import { SqliteReader } from './sqlite-reader';
import { SqliteStore } from './sqlite-store';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvndb-reader-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('SqliteReader', () => {
  test('reads what the writer committed; its cache keeps a value until a write naming the key is sequenced', () => {
    const file = path.join(dir, 'a.db');
    const store = new SqliteStore(file);
    const reader = new SqliteReader(file, 1024 * 1024);
    let seq = 0;
    const write = (...ops: WriteOp[]) => {
      // As the router does it: sequenced (the reader forgets), then applied and committed.
      reader.sequenced(ops);
      store.apply([{ epoch: 1, seq: ++seq, time: 100, ops }]);
    };
    const read = (k: string, now = 100) => reader.get(k, now)?.toString();
    try {
      expect(read('a')).toBeUndefined();
      write(['s', 'a', Buffer.from('1')]);
      expect(read('a')).toBe('1');
      expect(reader.cachedKeys).toBe(1);
      write(['s', 'b', Buffer.from('2')]);
      expect(reader.cachedKeys).toBe(1);
      expect(read('a')).toBe('1');
      write(['i', 'a', '5']);
      expect(read('a')).toBe('6');
      write(['m', 'a', 'c', {}]);
      expect(read('a')).toBeUndefined();
      expect(read('c')).toBe('6');
      // The reader's entries are the store's, content type included (one set of reads: sqlite-key-reads.ts).
      write(['s', 't', Buffer.from('<p>'), { ct: 'text/html' }]);
      expect(reader.entry('t', 100)).toEqual(store.entry('t', 100));
      expect(reader.entry('t', 100)?.contentType).toBe('text/html');
      // A list is refused by string reads and never cached.
      write(['L', 'l', [Buffer.from('x')], false, false]);
      expect(() => read('l')).toThrow(/wrong kind of value/);
      // An expiry is judged at read time, cached or not.
      write(['s', 'e', Buffer.from('soon'), { px: 50 }]);
      expect(read('e', 120)).toBe('soon');
      expect(read('e', 150)).toBeUndefined();
      expect(reader.has('c', 100)).toBe(true);
      expect(reader.entry('c', 100)).toMatchObject({ value: Buffer.from('6') });
      expect(reader.scan('', null, 10, 100)).toEqual(['b', 'c', 'e', 'l', 't']);
      // A flush names no key: everything cached goes.
      write(['F']);
      expect(read('c')).toBeUndefined();
      expect(reader.count()).toBe(0);
    } finally {
      reader.close();
      store.close();
    }
  });

  test('a write the reader was not told about stays unseen in the cache until unsynced()', () => {
    const file = path.join(dir, 'b.db');
    const store = new SqliteStore(file);
    const reader = new SqliteReader(file, 1024 * 1024);
    try {
      store.apply([{ epoch: 1, seq: 1, time: 100, ops: [['s', 'k', Buffer.from('old')]] }]);
      expect(reader.get('k', 100)?.toString()).toBe('old');
      // A resync replaces data without writes being sequenced: the link leaves in-sync first.
      store.load([['k', Buffer.from('new'), 2, 100, 0]]);
      expect(reader.get('k', 100)?.toString()).toBe('old');
      reader.unsynced();
      expect(reader.get('k', 100)?.toString()).toBe('new');
    } finally {
      reader.close();
      store.close();
    }
  });
});
