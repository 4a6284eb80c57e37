#!/usr/bin/env node
import { describeError, printFatal } from './exit';
import { main } from './cli';

/**
 * The kvndb binary. Whatever escapes a mode becomes one line and exit 1: operators and
 * scripts get a reason, not a stack trace. KVNDB_DEBUG=1 shows the stack for bug reports.
 */
function fatal(err: unknown): never {
  printFatal(describeError(err));
  if (process.env.KVNDB_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  process.exit(1);
}

process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);
// `kvndb keys | head` closes the pipe early: that is the reader's choice, not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  fatal(err);
});

main(process.argv.slice(2)).catch(fatal);
