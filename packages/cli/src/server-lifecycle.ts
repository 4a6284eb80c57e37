import type { Logger } from '@kvndb/shared';
import { createLogger } from '@kvndb/shared';
import { describeError, exitAfterFlush, printFatal } from './exit';
import type { LoggingArgs } from './options';

export function loggerFor(name: string, args: LoggingArgs): Logger {
  return createLogger({ name, verbose: args.verbose, file: args.logFile, format: args.logFormat });
}

/**
 * Stop cleanly on SIGINT/SIGTERM: run `stop` (router.stop(), replica.stop()), let the log
 * flush, exit 0. A second signal while stopping exits at once, for the operator whose
 * stop is stuck on a dead peer.
 */
export function stopOnSignals(stop: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      printFatal(`${signal} again, exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal} received, stopping`);
    stop().then(
      () => finish(logger, 0),
      (err: unknown) => {
        printFatal(`error while stopping: ${describeError(err)}`);
        return finish(logger, 1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

async function finish(logger: Logger, code: number): Promise<void> {
  // File transports write asynchronously; end the logger so the last lines reach the file.
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 1000);
    logger.once('finish', () => {
      clearTimeout(timer);
      resolve();
    });
    logger.end();
  });
  await exitAfterFlush(code);
}
