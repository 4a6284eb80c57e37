/**
 * A mistake on the command line (bad flag, bad value). bin.ts turns it into one line on
 * stderr and exit code 2, the convention that tells scripts "you called me wrong" apart
 * from "it failed" (1).
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Exit codes of the kvndb binary. */
export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
} as const;
