import type { Argv, CommandModule } from 'yargs';
import { ConsoleSession } from '../console/session';
import { openClient } from '../connect-client';
import type { ClientArgs } from '../connect-client';
import { fromCommandLine, integerOption, looksLikeAddress, withAddress, withAuth, withTls } from '../options';
import { guarded } from '../run-handler';
import { UsageError } from '../usage-error';

/**
 * `kvndb get KEY`, `kvndb set KEY VALUE`, ...: one console command per process, for shell
 * scripts. They run through the console's own commands, so output matches `kvndb cmd`.
 *
 * Their positionals are data, so the router's address is given only as -H/-p (`status`,
 * which takes no data, also takes `[HOST] [PORT]`). An IP address or localhost where a key
 * goes is refused, since `kvndb keys 127.0.0.1 -p 54600` means the address, not a prefix;
 * such a key goes after `--`.
 */
interface OneShotArgs extends ClientArgs {
  json: boolean;
  /** One key, or for del several. */
  KEY?: string | string[];
  VALUE?: string;
  PREFIX?: string;
}

function withClientOptions(y: Argv, address: 'positional' | 'flags'): Argv {
  return withTls(withAuth(withAddress(y, 'dial', address), 'client'), 'client')
    .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' })
    .option('timeout', {
      type: 'string',
      describe: 'ms before the request fails with TIMEOUT',
      defaultDescription: '10000',
      coerce: integerOption('timeout', 1),
    });
}

/** The data positionals as typed; refuses an address where data goes unless it came after `--`. */
function dataArgs(args: OneShotArgs, mode: string, toArgs: (args: OneShotArgs) => string[]): string[] {
  return toArgs(args).map((raw) => {
    const arg = fromCommandLine(raw);
    if (!arg.protected && looksLikeAddress(arg.text)) {
      throw new UsageError(
        `"${arg.text}" looks like the router's address, but the arguments of kvndb ${mode} are data (keys, values, a prefix): ` +
          `give the address as -H/-p (kvndb ${mode} -H HOST -p PORT ...) or use kvndb cmd HOST PORT ${mode} ...; ` +
          `a key that really is "${arg.text}" goes after --`,
      );
    }
    return arg.text;
  });
}

function oneShot(
  spec: { command: string; describe: string; console: string; address?: 'positional'; examples: Array<[string, string]> },
  positionals: (y: Argv) => Argv,
  toArgs: (args: OneShotArgs) => string[],
): CommandModule {
  return {
    command: spec.command,
    describe: spec.describe,
    builder: (y) => {
      let out = withClientOptions(positionals(y), spec.address ?? 'flags').check((argv) => {
        // Here, before the handler, so a misplaced address is a usage error (exit 2).
        dataArgs(argv as unknown as OneShotArgs, spec.console, toArgs);
        return true;
      });
      for (const [example, text] of spec.examples) out = out.example(example, text);
      return out.epilog(
        spec.address === 'positional'
          ? 'The address: positional HOST PORT, or -H/-p, or both with the same values.'
          : 'The address goes only as -H/-p: positionals are data. A key or value that starts with "-", or is an IP address or localhost, goes after --.',
      );
    },
    handler: guarded(async (argv) => {
      const args = argv as unknown as OneShotArgs;
      const data = dataArgs(args, spec.console, toArgs);
      const { client } = await openClient(args, { reconnect: false });
      try {
        const session = new ConsoleSession({
          client,
          interactive: false,
          json: args.json,
          output: process.stdout,
          errorOutput: process.stderr,
        });
        const ok = await session.run(spec.console, data.map((arg) => Buffer.from(arg, 'utf8')));
        return ok ? 0 : 1;
      } finally {
        await client.close();
      }
    }),
  };
}

export const getOneShot = oneShot(
  {
    command: 'get <KEY>',
    describe: 'print the value of a key ((nil) if missing)',
    console: 'get',
    examples: [
      ['$0 get greeting', 'print the value of greeting'],
      ['$0 get greeting -H 10.0.0.5 -p 6000', 'from another router'],
    ],
  },
  (y) => y.positional('KEY', { type: 'string', describe: 'the key' }),
  (a) => [String(a.KEY)],
);

export const setOneShot = oneShot(
  {
    command: 'set <KEY> <VALUE>',
    describe: 'store a value under a key (--ttl MS: it expires MS milliseconds later)',
    console: 'set',
    examples: [
      ['$0 set greeting hello', 'store "hello"'],
      ['$0 set -H 10.0.0.5 -p 6000 greeting -- -1', 'a value that starts with "-" goes after --'],
      ['$0 set photo @photo.jpg', 'store the bytes of a file (@@x stores "@x")'],
      ['$0 set session:1 token --ttl 60000', 'a key that expires in a minute'],
    ],
  },
  (y) =>
    y
      .positional('KEY', { type: 'string', describe: 'the key' })
      .positional('VALUE', { type: 'string', describe: 'the value (UTF-8), or @FILE for the bytes of FILE' })
      .option('ttl', { type: 'string', describe: 'expire the key this many milliseconds after the write' }),
  (a) => [String(a.KEY), String(a.VALUE), ...((a as { ttl?: unknown }).ttl !== undefined ? ['--ttl', String((a as { ttl?: unknown }).ttl)] : [])],
);

export const delOneShot = oneShot(
  {
    command: 'del <KEY..>',
    describe: 'delete keys; prints how many existed',
    console: 'del',
    examples: [['$0 del a b c', 'delete three keys at once']],
  },
  (y) => y.positional('KEY', { type: 'string', array: true, describe: 'the keys' }),
  (a) => ([] as string[]).concat(a.KEY ?? []).map(String),
);

export const keysOneShot = oneShot(
  {
    command: 'keys [PREFIX]',
    describe: 'print every key starting with a prefix, one per line',
    console: 'keys',
    examples: [
      ['$0 keys', 'every key'],
      ['$0 keys user: --json', 'keys starting with "user:" as a JSON array'],
      ['$0 keys user: -H 127.0.0.1 -p 54600', 'the keys of the router on port 54600'],
    ],
  },
  (y) => y.positional('PREFIX', { type: 'string', describe: 'key prefix', default: '' }),
  (a) => (a.PREFIX ? [String(a.PREFIX)] : []),
);

export const statusOneShot = oneShot(
  {
    command: 'status [HOST] [PORT]',
    describe: "print the router's status: epoch, seq, replicas, clients, op rates",
    console: 'status',
    address: 'positional',
    examples: [
      ['$0 status', 'readable table'],
      ['$0 status 10.0.0.5 54565 --json', 'JSON, for monitoring (or -H 10.0.0.5 -p 54565)'],
    ],
  },
  (y) => y,
  () => [],
);
