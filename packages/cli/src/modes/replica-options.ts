import type { Argv } from 'yargs';
import { Replica } from '@kvndb/replica';
import type { Logger } from '@kvndb/shared';
import { loadTls, resolveHost } from '../endpoint';
import { withAuth, withHostPortPositionals, withLogging, withTls } from '../options';
import type { AuthArgs, HostPortArgs, LoggingArgs, TlsArgs } from '../options';
import { replicaSecret } from '../secrets';
import { loggerFor, stopOnSignals } from '../server-lifecycle';

const GROUP_REPLICA = 'Replica:';

export interface ReplicaArgs extends HostPortArgs, AuthArgs, TlsArgs, LoggingArgs {
  name?: string;
  reset: boolean;
}

/** Options every replica backend shares (memory, sqlite). */
export function withReplicaOptions(y: Argv): Argv {
  return withLogging(
    withTls(
      withAuth(
        withHostPortPositionals(y, 'dial')
          .option('name', {
            type: 'string',
            group: GROUP_REPLICA,
            describe: "this replica's name in the router's status and logs",
            defaultDescription: 'memory@<hostname>:<pid>, sqlite:<file name>@<hostname>',
          })
          .option('reset', {
            type: 'boolean',
            default: false,
            group: GROUP_REPLICA,
            describe: 'wipe the local data on connecting and take a full resync from the router',
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
 * on SIGINT/SIGTERM. The store is opened first so a bad file fails before any connection.
 */
export function runReplica(args: ReplicaArgs, defaultName: string, openStore: StoreFactory): void {
  const name = args.name || defaultName;
  const logger: Logger = loggerFor(name, args);
  const store = openStore();
  const replica = new Replica({
    host: resolveHost(args),
    port: args.port,
    type: args.type,
    tls: loadTls(args, 'client'),
    password: replicaSecret(args),
    name,
    reset: args.reset,
    store,
    logger,
  });
  replica.start();
  stopOnSignals(() => replica.stop(), logger);
}
