import yargs from 'yargs';
import type { Argv } from 'yargs';
import { KVNDB_VERSION } from '@kvndb/shared';
import { describeError, exitAfterFlush, oneLine, printFatal } from './exit';
import { MODES } from './modes/index';
import { protectAfterDoubleDash, withArgumentsRestored } from './options';
import { ExitCode, UsageError } from './usage-error';

const MODE_NAMES = MODES.map((mode) => String(mode.command).split(' ')[0]);
/** The modes whose positionals are data (keys, values, a console command), where `--` matters. */
const DATA_MODES = ['cmd', 'get', 'set', 'del', 'keys'];

/**
 * The kvndb command line. Strict: an unknown option, a bad value or a missing argument
 * exits 2 with one line on stderr (`kvndb: <reason>`), never a usage dump or a stack.
 */
export function buildCli(argv: string[]): Argv {
  let cli = yargs(protectAfterDoubleDash(argv, DATA_MODES))
    .scriptName('kvndb')
    .usage('kvndb: a replicated key/value network database\n\nUsage: $0 <mode> [options]')
    // Positionals are hosts, keys and values: keep "007" and "1e3" as typed.
    .parserConfiguration({ 'parse-positional-numbers': false })
    .strict()
    .demandCommand(1, `choose a mode: ${MODE_NAMES.join(', ')}`)
    .version(KVNDB_VERSION)
    .help()
    .alias('help', 'h')
    .wrap(Math.min(110, process.stdout.columns || 80))
    .epilogue(
      'Secrets: --password, else KVNDB_PASSWORD, else --password-file. Replicas also read KVNDB_REPLICA_PASSWORD.\n' +
        'Exit codes: 0 success, 1 failure, 2 bad command line.',
    )
    .fail((message, err) => {
      const first = argv.find((arg) => !arg.startsWith('-'));
      const mode = first !== undefined && MODE_NAMES.includes(first) ? first : undefined;
      const seeHelp = `; see kvndb ${mode ? `${mode} ` : ''}--help`;
      if (message) {
        printFatal(oneLine(withArgumentsRestored(message)) + seeHelp);
        void exitAfterFlush(ExitCode.USAGE);
      } else if (err instanceof UsageError) {
        printFatal(err.message + seeHelp);
        void exitAfterFlush(ExitCode.USAGE);
      } else {
        printFatal(describeError(err));
        void exitAfterFlush(ExitCode.FAILURE);
      }
      // Keep yargs from going on (running a handler) while the output drains.
      throw new CliExit();
    });
  for (const mode of MODES) cli = cli.command(mode);
  return cli;
}

/** Thrown from the fail handler to stop parsing; the exit is already under way. */
export class CliExit extends Error {
  constructor() {
    super('exiting');
  }
}

/** Parses and runs; the returned promise settles when the mode's handler has. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli(argv).parseAsync();
  } catch (err) {
    if (err instanceof CliExit) return;
    throw err;
  }
}
