/**
 * Seeds that found a bug, with what they found. `npm run faults` runs them before the random
 * seeds. A seed fixes the schedule, not the timing, so each also names the faults it injects
 * and the build it was found on.
 */
import type { FaultKind } from './campaign';

export interface RegressionSeed {
  seed: number;
  faults: number;
  /** The fault kinds the finding run was limited to (FAULT_KINDS), if any. */
  kinds?: FaultKind[];
  found: string;
}

const RESTARTS: FaultKind[] = ['stale-replica-router-restart', 'cold-restart', 'router-restart-during-backoff'];

export const REGRESSION_SEEDS: RegressionSeed[] = [
  {
    seed: 201,
    faults: 5,
    kinds: RESTARTS,
    found:
      'on 5d5394e: a restarted router adopted the stale sql1 (seq 3770) alone in its join window while sql0/sql2 held seq 5319 ' +
      '(they sat in reconnect backoff); the next router adopted sql2 and resynced sql1 backwards: stale reads, acknowledged writes lost',
  },
  {
    seed: 202,
    faults: 5,
    kinds: RESTARTS,
    found: 'on 5d5394e: a restarted router adopted the stale sql1 alone; final reads missed acknowledged writes (lost-write)',
  },
  {
    seed: 400,
    faults: 4,
    kinds: ['reset-replica-router-restart', 'cold-restart'],
    found:
      'on 5d5394e: a restarted router adopted sql0, just started with --reset, while sql1 (holding the data) was frozen ' +
      'through the join window: "adopting sql0 (epoch 0 seq 0, reset) as the source of truth", then resynced sql2 and sql1 ' +
      'from it: 24 lost writes, every key read as missing',
  },
];
