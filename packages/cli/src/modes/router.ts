import path from 'node:path';
import { limitOptions, withLimits, type LimitArgs } from '../limit-options';
import type { Argv, CommandModule } from 'yargs';
import { RespServer, Router, loadHttpServer, parseNotifyFlags, type HttpServer } from '@kvndb/router';
import { MAX_HEARTBEAT_MS, MIN_HEARTBEAT_MS, validHeartbeat, type Logger } from '@kvndb/shared';
import { checkBindSafety, formatAddress, loadTls, resolveHost } from '../endpoint';
import { describeError } from '../exit';
import {
  bytesOption,
  integerOption,
  parsePort,
  withAuth,
  withAddress,
  withInsecure,
  withLogging,
  withTls,
} from '../options';
import type { AuthArgs, HostPortArgs, LoggingArgs, TlsArgs } from '../options';
import { guarded } from '../run-handler';
import { UsageError } from '../usage-error';
import { routerSecrets } from '../secrets';
import { loggerFor, stopOnSignals } from '../server-lifecycle';

const GROUP_REPLICATION = 'Replication:';

export interface RouterArgs extends HostPortArgs, AuthArgs, TlsArgs, LoggingArgs, LimitArgs {
  writeAck: 'one' | 'majority' | 'all';
  writeTimeout?: number;
  backlogSize?: number;
  maxWatchers?: number;
  maxBlockedReads?: number;
  heartbeat?: number;
  joinWindow?: number;
  expectReplicas?: number;
  resyncRate?: number;
  respPort?: number;
  notifyKeyspaceEvents?: string;
  httpPort?: number;
  stateDir?: string;
  acceptDataLoss: boolean;
  insecure: boolean;
}

/** The router's own options; standalone uses them too. */
export function withRouterOptions(y: Argv): Argv {
  return withLimits(withLogging(
    withTls(
      withAuth(
        withAddress(y, 'bind', 'positional')
          .option('write-ack', {
            type: 'string',
            choices: ['one', 'majority', 'all'],
            default: 'majority',
            group: GROUP_REPLICATION,
            describe: 'in-sync replicas that must apply a write before the client gets its answer',
          })
          .option('write-timeout', {
            type: 'string',
            group: GROUP_REPLICATION,
            describe: 'ms to wait for write acknowledgements before answering TIMEOUT (the write is not rolled back)',
            defaultDescription: '10000',
            coerce: integerOption('write-timeout', 1),
          })
          .option('backlog-size', {
            type: 'string',
            group: GROUP_REPLICATION,
            describe: 'bytes of recent writes kept so a returning replica can catch up without a full resync, and a watch can resume (64m, 1g, ...)',
            defaultDescription: '64m',
            coerce: bytesOption('backlog-size'),
          })
          .option('max-watchers', {
            type: 'string',
            group: GROUP_REPLICATION,
            describe: 'watches open at once, every client together (more are refused TOO_MANY_REQUESTS)',
            defaultDescription: '10000',
            coerce: integerOption('max-watchers', 1),
          })
          .option('max-blocked-reads', {
            type: 'string',
            group: GROUP_REPLICATION,
            describe: 'blocking reads (get --wait, wait) held at once, every client together',
            defaultDescription: '100000',
            coerce: integerOption('max-blocked-reads', 1),
          })
          .option('join-window', {
            type: 'string',
            group: GROUP_REPLICATION,
            describe: 'ms to wait at startup for replicas to join before adopting the most up-to-date one',
            defaultDescription: '2000',
            coerce: integerOption('join-window'),
          })
          .option('expect-replicas', {
            type: 'string',
            group: GROUP_REPLICATION,
            describe: 'end the join window early once this many replicas have joined',
            defaultDescription: 'none',
            coerce: integerOption('expect-replicas'),
          })
          .option('heartbeat', {
            type: 'string',
            group: GROUP_REPLICATION,
            describe: 'ms between liveness pings to idle replicas; a replica silent for 3 of them is dropped, and replicas reconnect when the router is silent that long; 0 = off',
            defaultDescription: '5000',
            coerce: (value: unknown) => {
              const ms = integerOption('heartbeat')(value);
              if (ms !== undefined && ms !== 0 && !validHeartbeat(ms)) {
                throw new UsageError(`--heartbeat must be 0 (off) or from ${MIN_HEARTBEAT_MS} to ${MAX_HEARTBEAT_MS} ms, got "${String(value)}"`);
              }
              return ms;
            },
          })
          .option('resync-rate', {
            type: 'string',
            group: GROUP_REPLICATION,
            describe: 'cap a full resync at this many bytes per second (10m, ...); 0 = unlimited',
            defaultDescription: '0',
            coerce: bytesOption('resync-rate'),
          })
          .option('state-dir', {
            type: 'string',
            group: GROUP_REPLICATION,
            describe:
              'directory for router.state.json, where the router remembers the history it served, so a restart never serves from replicas lacking acknowledged writes',
            defaultDescription: './kvndb-router-PORT.state.json; none on port 0; standalone: in --data',
          })
          .option('accept-data-loss', {
            type: 'boolean',
            default: false,
            group: GROUP_REPLICATION,
            describe:
              'serve from the replicas present even if the remembered history says none holds every acknowledged write; the writes they lack are lost',
          })
          .option('resp-port', {
            type: 'string',
            describe: 'also speak the Redis protocol (redis-cli, Redis clients) on this port, same host, same password',
            defaultDescription: 'off',
            coerce: (value: unknown) => (value === undefined ? undefined : parsePort(Array.isArray(value) ? value[value.length - 1] : value)),
          })
          .option('notify-keyspace-events', {
            type: 'string',
            describe: "Redis keyspace notifications from the write stream, Redis's flags (KEA, Ex, ...); CONFIG SET notify-keyspace-events changes it",
            defaultDescription: 'off',
            coerce: (value: unknown) => {
              if (value === undefined) return undefined;
              const text = String(Array.isArray(value) ? value[value.length - 1] : value);
              const flags = parseNotifyFlags(text);
              if (typeof flags !== 'number') throw new UsageError(`--notify-keyspace-events ${JSON.stringify(text)}: ${flags.error}`);
              return text;
            },
          })
          .option('http-port', {
            type: 'string',
            describe: 'also serve HTTP on this port, same host, same password, TLS with --type tls: the REST API (/v1/kv/KEY...), /metrics for Prometheus and the web monitor at /',
            defaultDescription: 'off',
            coerce: (value: unknown) => (value === undefined ? undefined : parsePort(Array.isArray(value) ? value[value.length - 1] : value)),
          }),
        'router',
      ),
      'server',
    ),
  ));
}

/** Builds a Router from parsed options (the caller checked bind safety). */
export function createRouter(
  args: RouterArgs,
  logger: Logger,
  overrides: { expectReplicas?: number; stateFile?: string } = {},
): Router {
  const secrets = routerSecrets(args);
  return new Router({
    host: resolveHost(args),
    port: args.port,
    type: args.type,
    tls: loadTls(args, 'server'),
    password: secrets.password,
    replicaPassword: secrets.replicaPassword,
    writeAck: args.writeAck,
    writeTimeoutMs: args.writeTimeout,
    backlogBytes: args.backlogSize,
    maxWatchers: args.maxWatchers,
    maxBlockedReads: args.maxBlockedReads,
    joinWindowMs: args.joinWindow,
    expectReplicas: args.expectReplicas ?? overrides.expectReplicas,
    resyncRateBytesPerSec: args.resyncRate,
    heartbeatMs: args.heartbeat,
    stateFile: overrides.stateFile ?? routerStateFile(args),
    acceptDataLoss: args.acceptDataLoss,
    notifyKeyspaceEvents: args.notifyKeyspaceEvents,
    ...limitOptions(args),
    logger,
  });
}

/**
 * The state file of a router. A directory given for it holds just this router's state.
 * The default, the current directory, is named by port so that two routers started in one
 * directory keep apart; a router on port 0 gets a new port each start, so by default it has
 * no state (tests, throwaway clusters).
 */
export function routerStateFile(args: RouterArgs): string | undefined {
  if (args.stateDir !== undefined) return path.resolve(args.stateDir, 'router.state.json');
  if (args.port === 0) return undefined;
  return path.resolve(`kvndb-router-${args.port}.state.json`);
}

/** router.start() with a message that names the address (EADDRINUSE alone says little). */
export async function startRouter(router: Router, host: string, port: number): Promise<void> {
  try {
    await router.start();
  } catch (err) {
    throw new Error(`cannot listen on ${formatAddress(host, port)}: ${describeError(err)}`, { cause: err });
  }
}

/**
 * What every front door beside the router shares: its host, transport and client password,
 * and the same key/value size, connection and timeout limits as the native listener.
 */
function doorOptions(args: RouterArgs, host: string, port: number, logger: Logger) {
  const { limits, maxConnections, handshakeTimeoutMs, frameTimeoutMs, idleTimeoutMs } = limitOptions(args);
  return {
    host,
    port,
    type: args.type,
    tls: loadTls(args, 'server'),
    password: routerSecrets(args).password,
    limits,
    maxConnections: maxConnections ?? 10_000,
    handshakeTimeoutMs,
    frameTimeoutMs,
    idleTimeoutMs,
    logger,
  };
}

/**
 * The Redis-protocol front door beside the router (--resp-port), or null when not asked
 * for. Same host, transport and client password as the router; it logs where it listens.
 */
export async function startResp(router: Router, args: RouterArgs, logger: Logger): Promise<RespServer | null> {
  if (args.respPort === undefined) return null;
  const host = resolveHost(args);
  const resp = new RespServer(router, doorOptions(args, host, args.respPort, logger));
  try {
    await resp.start();
  } catch (err) {
    throw new Error(`cannot listen for RESP on ${formatAddress(host, args.respPort)}: ${describeError(err)}`, { cause: err });
  }
  return resp;
}

/**
 * The HTTP front door beside the router (--http-port), or null when not asked for: same
 * host, transport and client password, the same limits. The router's status then names the
 * monitor's address (the console's `status` shows it).
 */
export async function startHttp(router: Router, args: RouterArgs, logger: Logger, resp: RespServer | null): Promise<HttpServer | null> {
  if (args.httpPort === undefined) return null;
  const host = resolveHost(args);
  const HttpServer = loadHttpServer();
  const http = new HttpServer(router, {
    ...doorOptions(args, host, args.httpPort, logger),
    respConnections: resp ? () => resp.connections.size : undefined,
  });
  try {
    await http.start();
  } catch (err) {
    throw new Error(`cannot listen for HTTP on ${formatAddress(host, args.httpPort)}: ${describeError(err)}`, { cause: err });
  }
  router.monitorUrl = http.url;
  return http;
}

/** The front doors beside the router's own port (--resp-port, --http-port); on failure the ones started are stopped. */
export async function startDoors(router: Router, args: RouterArgs, logger: Logger): Promise<{ resp: RespServer | null; http: HttpServer | null; stop(): Promise<void> }> {
  const resp = await startResp(router, args, logger);
  let http: HttpServer | null;
  try {
    http = await startHttp(router, args, logger, resp);
  } catch (err) {
    await resp?.stop();
    throw err;
  }
  return {
    resp,
    http,
    async stop() {
      await http?.stop();
      await resp?.stop();
    },
  };
}

export const routerMode: CommandModule = {
  command: 'router [HOST] [PORT]',
  describe: 'run a router: the address clients and replicas connect to',
  builder: (y) =>
    withInsecure(withRouterOptions(y))
      .example('$0 router', 'listen on 127.0.0.1:54565')
      .example('KVNDB_PASSWORD=s3cret $0 router 0.0.0.0 54565 --write-ack all', 'listen on every interface, password from the environment')
      .example('$0 router ::1 54565 --type tcp6 -v -l router.log', 'IPv6, debug logging to a file too')
      .example('$0 router -p 6000', 'the default host, another port (the same as $0 router 127.0.0.1 6000)')
      .example('$0 router 127.0.0.1 54565 --resp-port 6379', 'also serve redis-cli and Redis clients on 6379')
      .example('$0 router 127.0.0.1 54565 --http-port 8080', 'also serve HTTP: curl http://127.0.0.1:8080/v1/kv/KEY, /metrics, the web monitor at http://127.0.0.1:8080/')
      .example('$0 router 0.0.0.0 --type tls --tls-cert cert.pem --tls-key key.pem --password-file pw', 'TLS'),
  handler: guarded(async (argv) => {
    const args = argv as unknown as RouterArgs;
    const host = resolveHost(args);
    checkBindSafety(host, routerSecrets(args).password, args.insecure);
    const logger = loggerFor('router', args);
    const router = createRouter(args, logger);
    await startRouter(router, host, args.port);
    let doors: Awaited<ReturnType<typeof startDoors>>;
    try {
      doors = await startDoors(router, args, logger);
    } catch (err) {
      await router.stop();
      throw err;
    }
    stopOnSignals(async () => {
      await doors.stop();
      await router.stop();
    }, logger);
  }),
};
