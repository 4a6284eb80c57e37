import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { Replica, SqliteStore } from '@kvndb/replica';
import { InProcessTransport } from '@kvndb/shared';
import { checkBindSafety, formatAddress, loopbackFor, resolveHost } from '../endpoint';
import { withInsecure } from '../options';
import { guarded } from '../run-handler';
import { routerSecrets } from '../secrets';
import { loggerFor, stopOnSignals } from '../server-lifecycle';
import { createRouter, startDoors, startRouter, withRouterOptions } from './router';
import { openSqliteStore, withSqliteStorageOptions, type SqliteStorageArgs } from './sqlite';
import type { RouterArgs } from './router';

export const DEFAULT_DATA_DIR = './kvndb-data';
export const STANDALONE_DB_FILE = 'kvndb.sqlite';
/** How long to wait for the embedded replica before announcing the address anyway. */
const READY_WAIT_MS = 15000;

interface StandaloneArgs extends RouterArgs, SqliteStorageArgs {
  data: string;
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
    let store: SqliteStore;
    try {
      ensureDir(dir);
      // Locked like any SQLite replica's file: a second standalone on this --data exits 2.
      store = openSqliteStore(file, args);
    } catch (err) {
      if (err instanceof Error && err.message.includes(file)) throw err;
      throw new Error(`cannot open ${file}: ${(err as Error).message}`, { cause: err });
    }

    const logger = loggerFor('router', args);
    // The embedded replica is the one replica the router waits for at startup.
    // Its state lives beside the data it describes, whatever the port.
    const stateFile = args.stateDir === undefined ? path.join(dir, 'router.state.json') : undefined;
    const router = createRouter(args, logger, { expectReplicas: 1, stateFile });
    await startRouter(router, host, args.port);
    let doors: Awaited<ReturnType<typeof startDoors>>;
    // The embedded replica reaches the router inside this process, with no socket; more
    // replicas can still attach over the router's TCP/TLS port.
    const embedded = new InProcessTransport('standalone');
    try {
      doors = await startDoors(router, args, logger);
    } catch (err) {
      await router.stop();
      throw err;
    }
    // Its reads are answered from the store in this thread, with no frame in between.
    router.readLocally(embedded, store);
    try {
      await router.serve(embedded);
    } catch (err) {
      await doors.stop();
      await router.stop();
      throw err;
    }
    const bound = router.address;

    const replica = new Replica({
      transport: embedded,
      password: secrets.replicaPassword ?? secrets.password,
      name: 'standalone',
      reset: false,
      store,
      logger: loggerFor('replica', args),
    });
    const ready = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), READY_WAIT_MS);
      replica.once('in-sync', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    replica.start();
    stopOnSignals(async () => {
      // Replica first, so the router does not log it as lost during its own shutdown.
      await replica.stop();
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
