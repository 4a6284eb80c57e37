import readline from 'node:readline';
import type { CommandModule } from 'yargs';
import type { ConsoleClient } from '../console/context';
import { colorEnabled, palette } from '../console/colors';
import { formatError } from '../console/format';
import { HistoryFile, historyPath } from '../console/history';
import { runRepl } from '../console/repl';
import { ConsoleSession, runLines } from '../console/session';
import { openClient } from '../connect-client';
import type { ClientArgs } from '../connect-client';
import { integerOption, withAuth, withHostPortPositionals, withTls } from '../options';
import { guarded } from '../run-handler';

interface CmdArgs extends ClientArgs {
  command?: string | string[];
  json: boolean;
}

export const cmdMode: CommandModule = {
  command: 'cmd [host] [port]',
  describe: 'the console: an interactive shell over the client, also scriptable from a pipe or with -c',
  builder: (y) =>
    withTls(withAuth(withHostPortPositionals(y, 'dial'), 'client'), 'client')
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
      .example('$0 cmd -c "set greeting hello" -c "get greeting"', 'run commands and exit')
      .example('printf "set a 1\\nmget a b\\n" | $0 cmd --json', 'a script from a pipe, JSON results')
      .epilog(
        'Interactive history is kept in ~/.kvndb_history (the last 1000 lines; a line starting with a space is not kept). ' +
          'KVNDB_HISTORY=FILE moves it, KVNDB_HISTORY= (empty) turns it off. NO_COLOR turns colours off.',
      ),
  handler: guarded(async (argv) => {
    const args = argv as unknown as CmdArgs;
    const commands = args.command === undefined ? [] : ([] as string[]).concat(args.command);
    const interactive = commands.length === 0 && process.stdin.isTTY === true;
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
      const lines = commands.length > 0 ? commands : readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
      const ok = await runLines(session, lines);
      return ok ? 0 : 1;
    } finally {
      await client.close();
    }
  }),
};
