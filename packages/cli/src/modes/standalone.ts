import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { Replica, ReplicaThread, SqliteReader, SqliteStore } from '@kvndb/replica';
import { InProcessTransport } from '@kvndb/shared';
import { checkBindSafety, formatAddress, loopbackFor, resolveHost } from '../endpoint';
import { withInsecure } from '../options';
import { guarded } from '../run-handler';
import { routerSecrets } from '../secrets';
import { loggerFor, stopOnSignals } from '../server-lifecycle';
import { createRouter, startDoors, startRouter, withRouterOptions } from './router';
import { cacheBytesOf, openFailure, openSqliteStore, withSqliteStorageOptions, type SqliteStorageArgs } from './sqlite';
import type { RouterArgs } from './router';

export const DEFAULT_DATA_DIR = './kvndb-data';
export const STANDALONE_DB_FILE = 'kvndb.sqlite';
/** How long to wait for the embedded replica before announcing the address anyway. */
const READY_WAIT_MS = 15000;

/** Where the embedded replica runs: its own worker thread (the default), or the router's thread. */
export type EmbeddedReplicaMode = 'thread' | 'inline';

interface StandaloneArgs extends RouterArgs, SqliteStorageArgs {
  data: string;
  embeddedReplica: EmbeddedReplicaMode;
}

/** The embedded replica, wherever it runs, as the rest of standalone needs it. */
interface Embedded {
  once(event: 'in-sync', listener: () => void): unknown;
  stop(): Promise<void>;
}

export const standaloneMode: CommandModule = {
  command: 'standalone [HOST] [PORT]',
  describe: 'run a router with an embedded SQLite replica in one process: a working database in one command',
  builder: (y) =>
    withSqliteStorageOptions(withInsecure(withRouterOptions(y)), 'Storage:')
      .option('data', {
        type: 'string',
        default: DEFAULT_DATA_DIR,
        group: 'Storage:',
        describe: `directory for the embedded replica's ${STANDALONE_DB_FILE} (created if missing)`,
      })
      .option('embedded-replica', {
        type: 'string',
        choices: ['thread', 'inline'],
        default: 'inline',
        group: 'Storage:',
        describe:
          "where the embedded SQLite replica runs: inline on the router's thread, or on its own " +
          'thread (SQLite on a second core: less work on the router thread, no faster on 2 cores; docs/PERFORMANCE.md)',
      })
      .example('$0 standalone', 'a database on 127.0.0.1:54565 with its data in ./kvndb-data')
      .example('$0 standalone 127.0.0.1 6000 --data /tmp/kv', 'another port and directory')
      .example('$0 standalone --http-port 8080', 'with the HTTP API, /metrics and the web monitor at http://127.0.0.1:8080/')
      .example('$0 memory 127.0.0.1 54565', '(in another shell) grow it by attaching a second replica'),
  handler: guarded(async (argv) => {
    const args = argv as unknown as StandaloneArgs;
    const host = resolveHost(args);
    const secrets = routerSecrets(args);
    checkBindSafety(host, secrets.password, args.insecure);

    const dir = path.resolve(args.data);
    const file = path.join(dir, STANDALONE_DB_FILE);
    const cacheBytes = cacheBytesOf(args);
    const password = secrets.replicaPassword ?? secrets.password;
    try {
      ensureDir(dir);
    } catch (err) {
      throw new Error(`cannot open ${file}: ${(err as Error).message}`, { cause: err });
    }
    const logger = loggerFor('router', args);
    const replicaLogger = loggerFor('replica', args);
    // Locked like any SQLite replica's file: a second standalone on this --data exits 2.
    const opened = args.embeddedReplica === 'inline' ? openInline(file, args) : await openThread(file, args, cacheBytes, password, replicaLogger);

    // The embedded replica is the one replica the router waits for at startup.
    // Its state lives beside the data it describes, whatever the port.
    const stateFile = args.stateDir === undefined ? path.join(dir, 'router.state.json') : undefined;
    const router = createRouter(args, logger, { expectReplicas: 1, stateFile });
    let embedded: Embedded | undefined;
    const closeEmbedded = async (): Promise<void> => {
      if (embedded) await embedded.stop();
      else if ('store' in opened) opened.store.close();
      else await opened.thread.stop();
      if ('reader' in opened) opened.reader.close();
    };
    try {
      await startRouter(router, host, args.port);
    } catch (err) {
      await closeEmbedded();
      throw err;
    }
    let doors: Awaited<ReturnType<typeof startDoors>>;
    try {
      doors = await startDoors(router, args, logger);
    } catch (err) {
      await router.stop();
      await closeEmbedded();
      throw err;
    }
    // The embedded replica reaches the router inside this process, with no socket (in this
    // thread, or from its own thread over a MessagePort); more replicas can still attach
    // over the router's TCP/TLS port.
    let transport: InProcessTransport | ReplicaThread['transport'];
    if ('store' in opened) {
      transport = new InProcessTransport('standalone');
      // Its reads are answered from the store in this thread, with no frame in between.
      router.readLocally(transport, opened.store);
    } else {
      transport = opened.thread.transport;
      // Reads are answered in this thread from the same file, committed data only.
      router.readLocally(transport, opened.reader);
    }
    try {
      await router.serve(transport);
    } catch (err) {
      await doors.stop();
      await router.stop();
      await closeEmbedded();
      throw err;
    }
    const bound = router.address;

    if ('store' in opened) {
      const replica = new Replica({
        transport,
        password,
        name: 'standalone',
        reset: false,
        store: opened.store,
        logger: replicaLogger,
      });
      embedded = replica;
      replica.start();
    } else {
      embedded = opened.thread;
    }
    const ready = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), READY_WAIT_MS);
      embedded.once('in-sync', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    stopOnSignals(async () => {
      // Replica first, so the router does not log it as lost during its own shutdown.
      await closeEmbedded();
      await doors.stop();
      await router.stop();
    }, logger);

    const inSync = await ready;
    const dialHost = loopbackFor(bound.host);
    const lines = [
      `kvndb standalone listening on ${formatAddress(bound.host, bound.port)}, data in ${file}`,
      inSync ? 'ready' : `the embedded replica is not in sync yet after ${READY_WAIT_MS / 1000} s; see the log`,
      `the console:  npx kvndb cmd ${dialHost} ${bound.port}${args.type !== 'tcp' ? ` --type ${args.type}` : ''}`,
      `one command:  npx kvndb cmd ${dialHost} ${bound.port} set greeting hello${args.type !== 'tcp' ? ` --type ${args.type}` : ''}`,
    ];
    if (doors.resp) lines.push(`Redis:        redis-cli -h ${dialHost} -p ${doors.resp.address.port}`);
    if (doors.http) lines.push(`HTTP:         curl ${doors.http.url}v1/kv/greeting   (web monitor: ${doors.http.url})`);
    process.stdout.write(lines.join('\n') + '\n');
  }),
};

/** The embedded replica's store, opened in this thread. */
function openInline(file: string, args: StandaloneArgs): { store: SqliteStore } {
  try {
    return { store: openSqliteStore(file, args) };
  } catch (err) {
    if (err instanceof Error && err.message.includes(file)) throw err;
    throw new Error(`cannot open ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** The embedded replica's thread, once it has opened the file, and this thread's reader of it. */
async function openThread(
  file: string,
  args: StandaloneArgs,
  cacheBytes: number,
  password: string | undefined,
  logger: ReturnType<typeof loggerFor>,
): Promise<{ thread: ReplicaThread; reader: SqliteReader }> {
  let thread: ReplicaThread;
  try {
    thread = await ReplicaThread.open({ file, sync: args.sync, cacheBytes, password, name: 'standalone', logger, verbose: args.verbose });
  } catch (err) {
    throw openFailure(file, err);
  }
  try {
    return { thread, reader: new SqliteReader(file, cacheBytes) };
  } catch (err) {
    await thread.stop();
    throw err;
  }
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdirSync can spin forever on paths
 * under pseudo file systems such as /proc, and a typo in --data must fail, not hang.
 */
function ensureDir(dir: string): void {
  const missing: string[] = [];
  let current = dir;
  while (!existsSync(current)) {
    missing.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const level of missing) mkdirSync(level);
}
