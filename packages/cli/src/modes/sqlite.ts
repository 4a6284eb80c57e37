import os from 'node:os';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { SqliteStore } from '@kvndb/replica';
import { guarded } from '../run-handler';
import { runReplica, withReplicaOptions } from './replica-options';
import type { ReplicaArgs } from './replica-options';

export const DEFAULT_SQLITE_FILE = './kvndb.sqlite';

interface SqliteArgs extends ReplicaArgs {
  file: string;
  sync: 'normal' | 'full';
}

export const sqliteMode: CommandModule = {
  command: 'sqlite [host] [port] [file]',
  describe: 'run a replica that keeps its data in an SQLite file',
  builder: (y) =>
    withReplicaOptions(y)
      .positional('file', {
        type: 'string',
        describe: 'database file (created if missing)',
        default: DEFAULT_SQLITE_FILE,
      })
      .option('sync', {
        type: 'string',
        choices: ['normal', 'full'],
        default: 'normal',
        group: 'Replica:',
        describe: 'SQLite synchronous mode: full also survives power loss, at a cost per commit',
      })
      .example('$0 sqlite', 'attach to 127.0.0.1:54565, data in ./kvndb.sqlite')
      .example('$0 sqlite 127.0.0.1 54565 /var/lib/kvndb/a.sqlite --sync full', 'durable against power loss')
      .example('$0 sqlite 127.0.0.1 54565 b.sqlite --reset', 'wipe b.sqlite and resync it from the router'),
  handler: guarded(async (argv) => {
    const args = argv as unknown as SqliteArgs;
    const file = path.resolve(args.file);
    // No pid: a restarted SQLite replica is the same replica, with the same data.
    runReplica(args, `sqlite:${path.basename(file)}@${os.hostname()}`, () => {
      try {
        return new SqliteStore(file, { sync: args.sync });
      } catch (err) {
        // The store's own message usually names the file already.
        if (err instanceof Error && err.message.includes(file)) throw err;
        throw new Error(`cannot open ${file}: ${(err as Error).message}`, { cause: err });
      }
    });
  }),
};
