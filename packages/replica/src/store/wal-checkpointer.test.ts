import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from './sqlite-store';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvndb-wal-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const size = (file: string): number => (fs.existsSync(file) ? fs.statSync(file).size : 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the WAL checkpointer of the SQLite store', () => {
  test('copies committed pages into the database file off the writer, and keeps the log bounded under a steady load', async () => {
    const file = path.join(dir, 'steady.sqlite');
    const store = new SqliteStore(file);
    const value = Buffer.alloc(4000, 7);
    let seq = 0;
    let peakWal = 0;
    try {
      // ~160 MB of pages through the log in groups, the way the write applier commits them,
      // giving the event loop back between groups so the checkpointer's passes and log
      // rewinds land between and during the writer's transactions.
      for (let round = 0; round < 400; round++) {
        const batches = [];
        for (let i = 0; i < 100; i++) {
          seq++;
          batches.push({ epoch: 1, seq, time: seq, ops: [['s', `k${seq % 5000}`, value] as ['s', string, Buffer]] });
        }
        store.apply(batches);
        peakWal = Math.max(peakWal, size(`${file}-wal`));
        await new Promise((r) => setImmediate(r));
        if (round % 10 === 0) await sleep(5);
      }
      // The pages in the file were copied by the worker (the writer's own checkpoint is only a backstop at 64 MiB of log).
      for (let i = 0; i < 500 && size(file) < 5000 * 4000; i++) await sleep(20);
      expect(size(file)).toBeGreaterThanOrEqual(5000 * 4000);
      // The log is rewound past 32 MiB and cut back, and a worker starved of CPU is backed up
      // by the writer's own checkpoint at 64 MiB: it does not grow with the load (at most the
      // backstop and one commit group over it).
      expect(peakWal).toBeLessThan(72 * 1024 * 1024);
      expect(store.get('k42', 0)).toEqual(value);
    } finally {
      store.close();
    }
    // Nothing was lost to the checkpoints: reopened, the file holds the last position and the data.
    const again = new SqliteStore(file);
    try {
      expect(again.position()).toEqual({ epoch: 1, seq });
      expect(again.count()).toBe(5000);
    } finally {
      again.close();
    }
  });
});
