import type { Argv, CommandModule } from 'yargs';
import { ConsoleSession } from '../console/session';
import { openClient } from '../connect-client';
import type { ClientArgs } from '../connect-client';
import { integerOption, withAuth, withHostPortFlags, withTls } from '../options';
import { guarded } from '../run-handler';

/**
 * `kvndb get KEY`, `kvndb set KEY VALUE`, ...: one console command per process, for shell
 * scripts. They run through the console's own commands, so output matches `kvndb cmd`.
 */
interface OneShotArgs extends ClientArgs {
  json: boolean;
  key?: string;
  keys?: string[];
  value?: string;
  prefix?: string;
}

function withClientOptions(y: Argv): Argv {
  return withTls(withAuth(withHostPortFlags(y), 'client'), 'client')
    .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' })
    .option('timeout', {
      type: 'string',
      describe: 'ms before the request fails with TIMEOUT',
      defaultDescription: '10000',
      coerce: integerOption('timeout', 1),
    });
}

function oneShot(
  spec: { command: string; describe: string; console: string; examples: Array<[string, string]> },
  positionals: (y: Argv) => Argv,
  toArgs: (args: OneShotArgs) => string[],
): CommandModule {
  return {
    command: spec.command,
    describe: spec.describe,
    builder: (y) => {
      let out = withClientOptions(positionals(y));
      for (const [example, text] of spec.examples) out = out.example(example, text);
      return out;
    },
    handler: guarded(async (argv) => {
      const args = argv as unknown as OneShotArgs;
      const { client } = await openClient(args, { reconnect: false });
      try {
        const session = new ConsoleSession({
          client,
          interactive: false,
          json: args.json,
          output: process.stdout,
          errorOutput: process.stderr,
        });
        const ok = await session.run(spec.console, toArgs(args).map((arg) => Buffer.from(arg, 'utf8')));
        return ok ? 0 : 1;
      } finally {
        await client.close();
      }
    }),
  };
}

export const getOneShot = oneShot(
  {
    command: 'get <key>',
    describe: 'print the value of a key ((nil) if missing)',
    console: 'get',
    examples: [['$0 get greeting', 'print the value of greeting']],
  },
  (y) => y.positional('key', { type: 'string', describe: 'the key' }),
  (a) => [String(a.key)],
);

export const setOneShot = oneShot(
  {
    command: 'set <key> <value>',
    describe: 'store a value under a key',
    console: 'set',
    examples: [
      ['$0 set greeting hello', 'store "hello"'],
      ['$0 set -H 10.0.0.5 -p 6000 greeting -- -1', 'a value that starts with "-" goes after --'],
      ['$0 set photo @photo.jpg', 'store the bytes of a file (@@x stores "@x")'],
    ],
  },
  (y) =>
    y.positional('key', { type: 'string', describe: 'the key' }).positional('value', { type: 'string', describe: 'the value (UTF-8), or @FILE for the bytes of FILE' }),
  (a) => [String(a.key), String(a.value)],
);

export const delOneShot = oneShot(
  {
    command: 'del <keys..>',
    describe: 'delete keys; prints how many existed',
    console: 'del',
    examples: [['$0 del a b c', 'delete three keys at once']],
  },
  (y) => y.positional('keys', { type: 'string', array: true, describe: 'the keys' }),
  (a) => (a.keys ?? []).map(String),
);

export const keysOneShot = oneShot(
  {
    command: 'keys [prefix]',
    describe: 'print every key starting with a prefix, one per line',
    console: 'keys',
    examples: [
      ['$0 keys', 'every key'],
      ['$0 keys user: --json', 'keys starting with "user:" as a JSON array'],
    ],
  },
  (y) => y.positional('prefix', { type: 'string', describe: 'key prefix', default: '' }),
  (a) => (a.prefix ? [String(a.prefix)] : []),
);

export const statusOneShot = oneShot(
  {
    command: 'status',
    describe: "print the router's status: epoch, seq, replicas, clients, op rates",
    console: 'status',
    examples: [
      ['$0 status', 'readable table'],
      ['$0 status -H 10.0.0.5 --json', 'JSON, for monitoring'],
    ],
  },
  (y) => y,
  () => [],
);
