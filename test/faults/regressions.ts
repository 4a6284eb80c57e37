/**
 * Seeds that found a bug, with what they found. `npm run faults` runs them before the random
 * seeds. A seed fixes the schedule, not the timing, so each also names the faults it injects.
 */
export interface RegressionSeed {
  seed: number;
  faults: number;
  found: string;
}

export const REGRESSION_SEEDS: RegressionSeed[] = [];
