import { describeError, exitAfterFlush, printFatal } from './exit';
import { ExitCode, UsageError } from './usage-error';

/**
 * Wraps a mode's handler so nothing escapes as a stack trace: a UsageError exits 2, any
 * other error exits 1, each with one line on stderr. A handler that returns a number
 * exits with it; one that returns nothing leaves the process running (servers).
 *
 * yargs swallows what a failing async handler's fail callback throws, so errors are
 * settled here rather than left to yargs.
 */
export function guarded<A>(run: (args: A) => Promise<number | void>): (args: A) => Promise<void> {
  return async (args: A) => {
    let code: number | void;
    try {
      code = await run(args);
    } catch (err) {
      printFatal(describeError(err));
      await exitAfterFlush(err instanceof UsageError ? ExitCode.USAGE : ExitCode.FAILURE);
      return;
    }
    if (typeof code === 'number') await exitAfterFlush(code);
  };
}
