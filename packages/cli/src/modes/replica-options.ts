import type { Argv } from 'yargs';
import { DEFAULT_MAX_RETRY_DELAY_MS, Replica } from '@kvndb/replica';
import type { Logger } from '@kvndb/shared';
import { loadTls, resolveHost } from '../endpoint';
import { integerOption, withAuth, withAddress, withLogging, withTls } from '../options';
import type { AuthArgs, HostPortArgs, LoggingArgs, TlsArgs } from '../options';
import { replicaSecret } from '../secrets';
import { loggerFor, stopOnSignals } from '../server-lifecycle';

const GROUP_REPLICA = 'Replica:';

export interface ReplicaArgs extends HostPortArgs, AuthArgs, TlsArgs, LoggingArgs {
  name?: string;
  reset: boolean;
  maxRetryDelay?: number;
}

/** The router's default --join-window; a replica's backoff cap should stay below it. */
const ROUTER_DEFAULT_JOIN_WINDOW_MS = 2000;

/** Options every replica backend shares (memory, sqlite). */
export function withReplicaOptions(y: Argv): Argv {
  return withLogging(
    withTls(
      withAuth(
        withAddress(y, 'dial', 'positional')
          .option('name', {
            type: 'string',
            group: GROUP_REPLICA,
            describe:
              "this replica's name: the router knows it by this name in its status, logs and memory of replicas, so keep it unique and the same across restarts",
            defaultDescription: 'memory@<hostname>:<pid>; sqlite: the name stored in the data file, sqlite:<file name>@<hostname>-<random>',
          })
          .option('reset', {
            type: 'boolean',
            default: false,
            group: GROUP_REPLICA,
            describe: 'wipe the local data on connecting and take a full resync from the router',
          })
          .option('max-retry-delay', {
            type: 'string',
            group: GROUP_REPLICA,
            describe:
              "longest wait in ms between attempts to reach the router; keep it below the router's --join-window (default 2000) so a restarted router hears from this replica before it picks a source",
            defaultDescription: String(DEFAULT_MAX_RETRY_DELAY_MS),
            coerce: integerOption('max-retry-delay', 10),
          }),
        'replica',
      ),
      'client',
    ),
  );
}

/** The store a backend mode opens; the rest of running a replica is the same for all. */
export type StoreFactory = () => ConstructorParameters<typeof Replica>[0]['store'];

/**
 * Starts a replica that connects out to the router and keeps retrying on its own; stops
 * on SIGINT/SIGTERM. The store is opened first so a bad (or locked) file fails before any
 * connection; the default name may come from the store (a SQLite file keeps its own).
 */
export function runReplica<S extends ReturnType<StoreFactory>>(
  args: ReplicaArgs,
  defaultName: (store: S) => string,
  openStore: () => S,
): void {
  const store = openStore();
  const name = args.name || defaultName(store);
  const logger: Logger = loggerFor(name, args);
  const identity = (store as { identity?: unknown }).identity;
  if (typeof identity === 'string' && name !== identity) {
    logger.info(`this data file's replica identity is ${identity}; --name makes the router know it as ${name}`);
  }
  if (args.maxRetryDelay !== undefined && args.maxRetryDelay >= ROUTER_DEFAULT_JOIN_WINDOW_MS) {
    logger.warn(
      `--max-retry-delay ${args.maxRetryDelay} ms is not below the router's default --join-window (${ROUTER_DEFAULT_JOIN_WINDOW_MS} ms): after a router restart this replica may arrive after the window closed; make sure the router's window is longer`,
    );
  }
  const replica = new Replica({
    host: resolveHost(args),
    port: args.port,
    type: args.type,
    tls: loadTls(args, 'client'),
    password: replicaSecret(args),
    name,
    reset: args.reset,
    maxRetryDelayMs: args.maxRetryDelay,
    store,
    logger,
  });
  replica.start();
  stopOnSignals(() => replica.stop(), logger);
}
