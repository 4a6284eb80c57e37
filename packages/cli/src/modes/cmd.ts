import readline from 'node:readline';
import type { CommandModule } from 'yargs';
import type { ConsoleClient } from '../console/context';
import { askOnTerminal } from '../console/confirm';
import { colorEnabled, palette } from '../console/colors';
import { formatError } from '../console/format';
import { HistoryFile, historyPath } from '../console/history';
import { runRepl } from '../console/repl';
import { ConsoleSession, runLines } from '../console/session';
import { openClient } from '../connect-client';
import type { ClientArgs } from '../connect-client';
import { commandRegistry, resolveCommand } from '../console/index';
import { fromCommandLine, integerOption, withAddress, withAuth, withTls } from '../options';
import { guarded } from '../run-handler';
import { UsageError } from '../usage-error';

interface CmdArgs extends ClientArgs {
  command?: string | string[];
  COMMAND?: string[];
  HOST?: string;
  PORT?: number;
  json: boolean;
}

export const cmdMode: CommandModule = {
  command: 'cmd [HOST] [PORT] [COMMAND..]',
  describe: 'the console: an interactive shell over the client, also scriptable from a pipe, with -c, or one COMMAND after HOST PORT',
  builder: (y) =>
    // The command check goes first: `kvndb cmd get x` is a command in the wrong place, not a bad port.
    withTls(withAuth(withAddress(y.check(checkCommandPlace), 'dial', 'positional'), 'client'), 'client')
      .positional('COMMAND', {
        type: 'string',
        array: true,
        describe: 'run this one console command and exit; it comes after HOST and PORT, which are then both given',
        defaultDescription: 'none',
      })
      .option('command', {
        alias: 'c',
        type: 'string',
        describe: 'run this console command and exit (repeatable; exit 0 only if all succeed)',
      })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'print one JSON value per command (errors as {"error": {"code", "message"}})',
      })
      .option('timeout', {
        type: 'string',
        describe: 'ms before a request fails with TIMEOUT',
        defaultDescription: '10000',
        coerce: integerOption('timeout', 1),
      })
      .example('$0 cmd', 'the console for 127.0.0.1:54565')
      .example('$0 cmd 10.0.0.5 54565 --password-file ~/.kvndb-pw', 'a remote router')
      .example('$0 cmd 127.0.0.1 54565 get greeting', 'run one command and exit')
      .example('$0 cmd -c "set greeting hello" -c "get greeting"', 'run commands and exit')
      .example('printf "set a 1\\nmget a b\\n" | $0 cmd --json', 'a script from a pipe, JSON results')
      .check((argv) => {
        checkPositionalCommand(argv as unknown as CmdArgs);
        return true;
      })
      .epilog(
        'Positionals go in the order HOST PORT COMMAND: a command needs the address before it. ' +
          'Interactive history is kept in ~/.kvndb_history (the last 1000 lines; a line starting with a space is not kept). ' +
          'KVNDB_HISTORY=FILE moves it, KVNDB_HISTORY= (empty) turns it off. NO_COLOR turns colours off.',
      ),
  handler: guarded(async (argv) => {
    const args = argv as unknown as CmdArgs;
    const commands = args.command === undefined ? [] : ([] as string[]).concat(args.command);
    const words = args.COMMAND ?? [];
    const interactive = commands.length === 0 && words.length === 0 && process.stdin.isTTY === true;
    const { client, label } = await openClient(args, { reconnect: interactive });
    const consoleClient: ConsoleClient = client;
    const color = interactive && colorEnabled(process.stdout);
    const session = new ConsoleSession({
      client: consoleClient,
      interactive,
      json: args.json,
      output: process.stdout,
      errorOutput: process.stderr,
      // Listings go in columns for a person at a terminal; -c and pipes keep one per line
      // for scripts. A pty that never had its size set reports 0 columns: assume 80.
      columns: () => (interactive && process.stdout.isTTY ? process.stdout.columns || 80 : null),
      color,
      // A command from the shell's command line with a terminal on stdin: ask before flush.
      confirm: !interactive && process.stdin.isTTY === true ? askOnTerminal : undefined,
    });
    try {
      if (interactive) {
        // Reconnecting ended for good (a changed password): say so instead of hanging.
        const colors = palette(color);
        client.on('error', (err) => {
          for (const line of formatError(err)) process.stdout.write(colors.error(line) + '\n');
        });
        process.stdout.write(`connected to ${label}; type help for commands, quit to leave\n`);
        const file = historyPath();
        const history = file ? new HistoryFile(file, undefined, (message) => process.stdout.write(colors.warn(message) + '\n')) : null;
        await runRepl({ session, input: process.stdin, output: process.stdout, label, events: client, history, color });
        return 0;
      }
      if (words.length > 0) {
        // Arguments as the shell split them: no second round of console quoting.
        const ok = await session.run(words[0], words.slice(1).map((word) => Buffer.from(word, 'utf8')));
        return ok ? 0 : 1;
      }
      const lines = commands.length > 0 ? commands : readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
      const ok = await runLines(session, lines);
      return ok ? 0 : 1;
    } finally {
      await client.close();
    }
  }),
};

/**
 * `kvndb cmd HOST PORT COMMAND [ARG...]`: the command is checked before connecting, and a
 * command word in the HOST place (`kvndb cmd get x`) is refused rather than dialled.
 */
function checkCommandPlace(argv: Record<string, unknown>): true {
  const host = argv.HOST as string | undefined;
  if (host !== undefined && commandRegistry.find(host) && (argv.PORT === undefined || !/^\d+$/.test(String(argv.PORT)))) {
    throw new UsageError(
      `"${host}" is in the HOST place: positionals go in the order HOST PORT COMMAND (kvndb cmd 127.0.0.1 54565 ${host} ...), or use -c "${host} ..."`,
    );
  }
  return true;
}

function checkPositionalCommand(args: CmdArgs): void {
  if (args.COMMAND === undefined || args.COMMAND.length === 0) return;
  const words = args.COMMAND.map((word) => fromCommandLine(String(word)).text);
  args.COMMAND = words;
  if (args.command !== undefined) throw new UsageError('give the command either after HOST PORT or with -c, not both');
  try {
    resolveCommand(words[0], words.length - 1);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
