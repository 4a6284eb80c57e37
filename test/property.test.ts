/**
 * Property: whatever the interleaving of writes, replica kills, restarts and resets, once
 * everything is back every replica holds exactly the acknowledged writes (an in-test model).
 * Real router and SQLite replica processes; fast-check picks the interleavings (seeded).
 */
import path from 'node:path';
import fc from 'fast-check';
import type { KvndbClient } from '@kvndb/client';
import {
  client,
  readSqliteReplica,
  startReplica,
  startRouter,
  stopAll,
  tempDir,
  waitConverged,
  waitInSync,
  type KvndbProcess,
} from './helpers/cluster';

jest.setTimeout(600000);

type Step =
  | { kind: 'set'; key: string; value: string }
  | { kind: 'del'; key: string }
  | { kind: 'kill'; replica: number }
  | { kind: 'restart'; replica: number; reset: boolean };

const key = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('set' as const), key, value: fc.string({ maxLength: 12 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('del' as const), key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('kill' as const), replica: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), replica: fc.integer({ min: 0, max: 2 }), reset: fc.boolean() }) },
);

afterEach(() => stopAll());

test('all replicas end equal to the model of acknowledged writes', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 25 }), async (steps) => {
      const dir = tempDir();
      const router = await startRouter();
      const names = ['p0', 'p1', 'p2'];
      const files = names.map((n) => path.join(dir, `${n}.sqlite`));
      const procs: Array<KvndbProcess | null> = names.map((n, i) => startReplica('sqlite', router.port, { name: n, file: files[i] }));
      let db: KvndbClient | null = null;
      try {
        db = await client(router.port);
        await waitInSync(db, 3);
        const model = new Map<string, string>();
        const uncertain = new Set<string>();
        for (const s of steps) {
          if (s.kind === 'set' || s.kind === 'del') {
            try {
              if (s.kind === 'set') {
                await db.set(s.key, s.value);
                model.set(s.key, s.value);
              } else {
                await db.del(s.key);
                model.delete(s.key);
              }
              uncertain.delete(s.key);
            } catch {
              uncertain.add(s.key); // not acknowledged: may or may not have been applied
            }
          } else if (s.kind === 'kill') {
            // Keep one replica running so the cluster can take writes at all.
            const alive = procs.filter((p) => p && p.running).length;
            const p = procs[s.replica];
            if (p && p.running && alive > 1) {
              await p.kill('SIGKILL');
              procs[s.replica] = null;
            }
          } else if (!procs[s.replica]) {
            procs[s.replica] = startReplica('sqlite', router.port, {
              name: names[s.replica],
              file: files[s.replica],
              args: s.reset ? ['--reset'] : [],
            });
          }
        }
        names.forEach((n, i) => {
          if (!procs[i]) procs[i] = startReplica('sqlite', router.port, { name: n, file: files[i] });
        });
        await waitConverged(db, names, 60000);
        const dumps = files.map((f) => readSqliteReplica(f));
        for (const d of dumps) {
          const got = new Map([...d.contents].map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
          for (const k of uncertain) got.delete(k);
          const want = new Map([...model].filter(([k]) => !uncertain.has(k)));
          expect(got).toEqual(want);
          expect(d.contents).toEqual(dumps[0].contents);
        }
      } finally {
        await db?.close().catch(() => undefined);
        await stopAll();
      }
    }),
    { numRuns: 8, seed: 20261121, endOnFailure: true },
  );
});
