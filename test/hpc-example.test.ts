/**
 * examples/hpc end to end: run-local.sh starts a standalone kvndb, three workers and the
 * driver; every task is computed once, the total is right, and nothing it started is left.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

jest.setTimeout(60_000);

test('run-local.sh computes the primes below 50000 with 3 workers and stops everything', () => {
  const script = path.resolve(__dirname, '../examples/hpc/run-local.sh');
  const run = spawnSync('bash', [script, '3', '10', '50000'], { encoding: 'utf8', timeout: 55_000 });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  const out = run.stdout;
  expect(out).toContain('primes below 50000: 5133');
  const shares = out.match(/tasks per worker: ([\d ]+) \((\d+) workers, done counter (\d+)\)/);
  expect(shares).not.toBeNull();
  const [, counts, , done] = shares!;
  expect(counts.split(' ').reduce((a, b) => a + Number(b), 0)).toBe(10);
  expect(Number(done)).toBe(10);
  // Each worker reported and exited (the script waits for them); the server is gone with it.
  expect(out.match(/^worker-\d: \d+ tasks$/gm)).toHaveLength(3);
  const port = out.match(/kvndb standalone on 127\.0\.0\.1:(\d+)/)![1];
  const ps = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout;
  expect(ps.split('\n').filter((l) => l.includes('run-local') || l.includes(`127.0.0.1:${port}`))).toEqual([]);
});
