/**
 * `npm run faults`: the regression seeds, then FAULT_SEEDS (default 20) random seeds, or
 * FAULT_SEED=S[,S2...] to replay. Every seed is printed; a seed that finds an anomaly
 * writes its history and logs under os.tmpdir() and prints the path (docs/FAULTS.md).
 * FAULT_COUNT sets the faults per seed (default 7), FAULT_KINDS=a,b limits the fault kinds.
 */
import { FAULT_KINDS, runCampaign, seedsFromEnv, type CampaignResult, type FaultKind } from './campaign';
import { REGRESSION_SEEDS } from './regressions';

const faults = Number(process.env.FAULT_COUNT ?? 7);
/** FAULT_KINDS=kill-router,cold-restart: only these faults (a targeted run). */
const kinds = process.env.FAULT_KINDS ? (process.env.FAULT_KINDS.split(',').map((k) => k.trim()) as FaultKind[]) : undefined;
for (const k of kinds ?? []) if (!FAULT_KINDS.includes(k)) throw new Error(`unknown fault kind ${k}; known: ${FAULT_KINDS.join(', ')}`);
const replay = Boolean(process.env.FAULT_SEED);
const runs: { seed: number; faults: number; kinds?: FaultKind[]; label: string }[] = [
  ...(replay || process.env.FAULT_NO_REGRESSIONS
    ? []
    : REGRESSION_SEEDS.map((r) => ({ seed: r.seed, faults: r.faults, kinds: r.kinds, label: `regression seed ${r.seed}` }))),
  ...seedsFromEnv(20).map((seed) => ({ seed, faults, kinds, label: `seed ${seed}` })),
];
process.stderr.write(`fault campaign: ${runs.length} runs, seeds ${runs.map((r) => r.seed).join(' ')}\n`);

const results: CampaignResult[] = [];
afterAll(() => {
  const bad = results.filter((r) => !r.ok);
  process.stderr.write(
    `\nfault campaign done: ${results.length} seeds, ${bad.length} with anomalies\n` +
      results.map((r) => `  ${r.summary}${r.artifacts ? `\n    artifacts: ${r.artifacts}` : ''}`).join('\n') +
      '\n',
  );
});

describe.each(runs)('$label', ({ seed, faults: count, kinds: only }) => {
  test('no anomaly', async () => {
    const result = await runCampaign({ seed, faults: count, kinds: only });
    results.push(result);
    if (!result.ok) {
      throw new Error(
        `seed ${seed}: ${result.anomalies.length} anomalies (replay: FAULT_SEED=${seed} npm run faults)\n` +
          `faults:\n  ${result.faults.join('\n  ')}\n` +
          result.anomalies.slice(0, 10).map((a) => `[${a.kind}] ${a.message.slice(0, 3000)}`).join('\n') +
          `\nhistory and logs: ${result.artifacts}`,
      );
    }
  });
});
