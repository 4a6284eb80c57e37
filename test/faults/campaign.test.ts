/**
 * A short seeded fault campaign in `npm test`: one seed, four faults chosen to cover a
 * router restart with a stale replica (issue 12), a network partition, a replica crash and
 * a cold restart (docs/FAULTS.md), on the whole workload: get/set/del, getEntry, compare-and-set,
 * set ifAbsent, counters and keys with a short time to live. The long campaign is `npm run faults`.
 */
import { runCampaign } from './campaign';

jest.setTimeout(180000);

test('a short seeded fault campaign finds no anomaly', async () => {
  const seed = process.env.FAULT_SEED ? Number(process.env.FAULT_SEED) : 20240612;
  const result = await runCampaign({
    seed,
    sequence: ['stale-replica-router-restart', 'net-blackhole', 'kill-replica', 'cold-restart'],
  });
  if (!result.ok) {
    throw new Error(`${result.summary}\n${result.anomalies.map((a) => `[${a.kind}] ${a.message}`).join('\n')}\nartifacts: ${result.artifacts}`);
  }
  expect(result.ops).toBeGreaterThan(100);
  // The workload reached every kind of operation the checker models: compare-and-set both
  // applied and refused, set ifAbsent, getEntry with versions, and increments.
  const kinds = ['put:ok', 'put-refused:ok', 'setIfAbsent:ok', 'setIfAbsent-refused:ok', 'getEntry:ok', 'incr:ok', 'get:ok', 'set:ok', 'del:ok', 'setTtl:ok'];
  expect(kinds.filter((k) => !((result.opCounts[k] ?? 0) > 0))).toEqual([]);
});
