import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_CACHE_BYTES, DataFileLockedError, SqliteStore } from '@kvndb/replica';
import { UsageError } from '../usage-error';
import { guarded } from '../run-handler';
import { runReplica, withReplicaOptions } from './replica-options';
import type { ReplicaArgs } from './replica-options';

export const DEFAULT_SQLITE_FILE = './kvndb.sqlite';

/** The SQLite file's options, for a replica and for standalone's embedded one. */
export interface SqliteStorageArgs {
  sync: 'normal' | 'full';
  cacheMb: number;
}

interface SqliteArgs extends ReplicaArgs, SqliteStorageArgs {
  FILE: string;
}

/** --sync and --cache-mb, in `group` of the help. */
export function withSqliteStorageOptions<T>(y: Argv<T>, group: string): Argv<T> {
  return y
    .option('sync', {
      type: 'string',
      choices: ['normal', 'full'],
      default: 'normal',
      group,
      describe: 'SQLite synchronous mode: full also survives power loss, at a cost per commit',
    })
    .option('cache-mb', {
      type: 'number',
      default: DEFAULT_CACHE_BYTES / (1024 * 1024),
      group,
      describe: 'memory for recently read values, in MiB (0: every read goes to the file)',
    });
}

export const sqliteMode: CommandModule = {
  command: 'sqlite [HOST] [PORT] [FILE]',
  describe: 'run a replica that keeps its data in an SQLite file',
  builder: (y) =>
    withSqliteStorageOptions(withReplicaOptions(y), 'Replica:')
      .positional('FILE', {
        type: 'string',
        describe: 'database file (created if missing); positionals go in the order HOST PORT FILE',
        default: DEFAULT_SQLITE_FILE,
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
    runReplica(args, (store) => store.identity, () => openSqliteStore(file, args));
  }),
};

/**
 * Opens (and locks) a replica's SQLite file. Another process serving the file is a usage
 * error (exit 2) that names the file and that process; nothing in the file was touched.
 */
export function openSqliteStore(file: string, storage: SqliteStorageArgs): SqliteStore {
  const cacheBytes = cacheBytesOf(storage);
  try {
    return new SqliteStore(file, { sync: storage.sync, cacheBytes });
  } catch (err) {
    throw openFailure(file, err);
  }
}

/** --cache-mb in bytes; a usage error (exit 2) unless it is a number of MiB, 0 or more. */
export function cacheBytesOf(storage: SqliteStorageArgs): number {
  const cacheMb = storage.cacheMb;
  if (!(Number.isFinite(cacheMb) && cacheMb >= 0)) throw new UsageError(`--cache-mb must be a number of MiB, 0 or more (got ${String(cacheMb)})`);
  return Math.floor(cacheMb * 1024 * 1024);
}

/**
 * What to throw when opening a replica's SQLite file failed: another process serving it is
 * a usage error naming the file and that process; otherwise the error, naming the file.
 */
export function openFailure(file: string, err: unknown): Error {
  if (err instanceof DataFileLockedError) return new UsageError(err.message);
  // The store's own message usually names the file already.
  if (err instanceof Error && err.message.includes(file)) return err;
  return new Error(`cannot open ${file}: ${(err as Error).message}`, { cause: err });
}
