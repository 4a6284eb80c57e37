import path from 'node:path';
import type { CommandModule } from 'yargs';
import { DataFileLockedError, SqliteStore } from '@kvndb/replica';
import { UsageError } from '../usage-error';
import { guarded } from '../run-handler';
import { runReplica, withReplicaOptions } from './replica-options';
import type { ReplicaArgs } from './replica-options';

export const DEFAULT_SQLITE_FILE = './kvndb.sqlite';

interface SqliteArgs extends ReplicaArgs {
  FILE: string;
  sync: 'normal' | 'full';
}

export const sqliteMode: CommandModule = {
  command: 'sqlite [HOST] [PORT] [FILE]',
  describe: 'run a replica that keeps its data in an SQLite file',
  builder: (y) =>
    withReplicaOptions(y)
      .positional('FILE', {
        type: 'string',
        describe: 'database file (created if missing); positionals go in the order HOST PORT FILE',
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
    const args = argv as unknown as SqliteArgs & { HOST?: string; PORT?: number };
    // `kvndb sqlite -p 6000 a.sqlite` would put the file where the host goes.
    if (args.HOST !== undefined && args.PORT === undefined && /\.(sqlite3?|db)$/i.test(args.HOST)) {
      throw new UsageError(`"${args.HOST}" is in the HOST place: positionals go in the order HOST PORT FILE (kvndb sqlite 127.0.0.1 ${args.port} ${args.HOST})`);
    }
    const file = path.resolve(args.FILE);
    // The name lives in the file: a restarted SQLite replica is the same replica, with the same
    // data, and another file is another replica even under the same file name.
    runReplica(args, (store) => store.identity, () => openSqliteStore(file, args.sync));
  }),
};

/**
 * Opens (and locks) a replica's SQLite file. Another process serving the file is a usage
 * error (exit 2) that names the file and that process; nothing in the file was touched.
 */
export function openSqliteStore(file: string, sync: 'normal' | 'full'): SqliteStore {
  try {
    return new SqliteStore(file, { sync });
  } catch (err) {
    if (err instanceof DataFileLockedError) throw new UsageError(err.message);
    // The store's own message usually names the file already.
    if (err instanceof Error && err.message.includes(file)) throw err;
    throw new Error(`cannot open ${file}: ${(err as Error).message}`, { cause: err });
  }
}
