import net from 'node:net';
import type { Argv } from 'yargs';
import { DEFAULT_HOST, DEFAULT_PORT } from '@kvndb/shared';
import type { TransportType } from '@kvndb/shared';
import { UsageError } from './usage-error';

/**
 * Option groups shared by the modes, so every mode spells, documents and validates an
 * option the same way. Numbers are parsed here (not by yargs, which turns "abc" into NaN)
 * so a bad value fails with a UsageError naming the option.
 */

export const ENV_PASSWORD = 'KVNDB_PASSWORD';
export const ENV_REPLICA_PASSWORD = 'KVNDB_REPLICA_PASSWORD';

export const GROUP_CONNECTION = 'Connection:';
export const GROUP_AUTH = 'Authentication:';
export const GROUP_TLS = 'Transport and TLS:';
export const GROUP_LOGGING = 'Logging:';

export function parsePort(value: unknown): number {
  const text = String(value).trim();
  if (!/^\d+$/.test(text)) throw new UsageError(`port must be a number from 0 to 65535, got "${String(value)}"`);
  const port = Number(text);
  if (port > 65535) throw new UsageError(`port must be a number from 0 to 65535, got ${port}`);
  return port;
}

/** A whole number >= 0 (milliseconds, counts). */
export function integerOption(name: string, min = 0): (value: unknown) => number | undefined {
  return (value: unknown) => {
    if (value === undefined) return undefined;
    const text = String(value).trim();
    if (!/^\d+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text))) {
      throw new UsageError(`--${name} must be a whole number${min > 0 ? ` >= ${min}` : ''}, got "${String(value)}"`);
    }
    return Number(text);
  };
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** A byte count, with an optional binary unit: 65536, 64k, 64MiB, 1g. */
export function parseBytes(name: string, value: unknown): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(String(value).trim());
  const unit = match ? BYTE_UNITS[match[2].toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new UsageError(`--${name} must be a byte count such as 67108864, 64m or 1g, got "${String(value)}"`);
  }
  return Math.floor(Number(match[1]) * unit);
}

export function bytesOption(name: string): (value: unknown) => number | undefined {
  return (value: unknown) => (value === undefined ? undefined : parseBytes(name, value));
}

/** yargs repeats the last value when an option is given twice; keep the last one. */
function single<T>(parse: (value: unknown) => T): (value: unknown) => T {
  return (value: unknown) => parse(Array.isArray(value) ? value[value.length - 1] : value);
}

const hostDescription = 'address (default 127.0.0.1, or ::1 with --type tcp6)';

/**
 * The router's address, one convention for every mode:
 * - `-H/--host` and `-p/--port` work in every mode;
 * - the modes whose positionals are not data (router, memory, sqlite, standalone, cmd,
 *   status) also take it positionally, `[HOST] [PORT]`, always first and in that order;
 * - both forms may be given, but only with the same values: a conflict is a usage error;
 * - the one-shot data commands (get, set, del, keys) take it only as -H/-p, because their
 *   positionals are keys and values (`kvndb cmd HOST PORT get KEY` is their positional form).
 */
export function withAddress(y: Argv, role: 'bind' | 'dial', form: 'positional' | 'flags'): Argv {
  const host = role === 'bind' ? `${hostDescription} to listen on` : `router ${hostDescription}`;
  const port = role === 'bind' ? 'port to listen on (0 picks a free one)' : 'router port';
  let out = y;
  if (form === 'positional') {
    out = out
      .positional('HOST', { type: 'string', describe: `${host}; or -H`, defaultDescription: DEFAULT_HOST })
      .positional('PORT', { type: 'string', describe: `${port}; or -p`, defaultDescription: String(DEFAULT_PORT) });
  }
  return out
    .option('host', { alias: 'H', type: 'string', group: GROUP_CONNECTION, describe: host, defaultDescription: DEFAULT_HOST, coerce: single(String) })
    .option('port', { alias: 'p', type: 'string', group: GROUP_CONNECTION, describe: port, defaultDescription: String(DEFAULT_PORT), coerce: single(parsePort) })
    .check((argv) => {
      settleAddress(argv);
      return true;
    });
}

/**
 * Merges the positional HOST/PORT into --host/--port (what the modes read), refusing two
 * different values for one of them. Exported for tests.
 */
export function settleAddress(argv: Record<string, unknown>): void {
  // `kvndb cmd -- HOST PORT`: `--` changes nothing for the address.
  if (typeof argv.HOST === 'string') argv.HOST = fromCommandLine(argv.HOST).text;
  if (typeof argv.PORT === 'string') argv.PORT = fromCommandLine(argv.PORT).text;
  const host = pick('host', argv.HOST as string | undefined, argv.host as string | undefined, '-H');
  // Parsed here rather than by a coerce, so a mode's own check of its positionals runs first.
  if (argv.PORT !== undefined && typeof argv.PORT !== 'number') argv.PORT = parsePort(argv.PORT);
  const port = pick('port', argv.PORT as number | undefined, argv.port as number | undefined, '-p');
  argv.host = host;
  argv.port = port ?? DEFAULT_PORT;
}

function pick<T>(what: string, positional: T | undefined, flag: T | undefined, option: string): T | undefined {
  if (positional !== undefined && flag !== undefined && positional !== flag) {
    throw new UsageError(`the ${what} is given twice, as ${String(positional)} and as ${option} ${String(flag)}: give it once`);
  }
  return positional ?? flag;
}

/**
 * `--` ends the options, so a key or value may start with "-" (`kvndb set k -- -1`). yargs
 * does not hand what follows `--` to a command's positionals, so for the modes whose
 * positionals are data it is replaced by placeholders (no argument can contain a NUL) that
 * {@link fromCommandLine} turns back into the text. Call once per parse, before yargs.
 */
export function protectAfterDoubleDash(argv: string[], modes: readonly string[]): string[] {
  afterDoubleDash = [];
  const mode = argv.find((arg) => !arg.startsWith('-'));
  const at = argv.indexOf('--');
  if (at < 0 || mode === undefined || !modes.includes(mode) || argv.indexOf(mode) > at) return argv;
  afterDoubleDash = argv.slice(at + 1);
  return [...argv.slice(0, at), ...afterDoubleDash.map((_, i) => `${PROTECTED}${i}`)];
}

const PROTECTED = '\u0000kvndb-arg-';
let afterDoubleDash: string[] = [];

/** A positional as typed, and whether it came after `--` (so it is data, whatever it looks like). */
export function fromCommandLine(value: string): { text: string; protected: boolean } {
  if (!value.startsWith(PROTECTED)) return { text: value, protected: false };
  const text = afterDoubleDash[Number(value.slice(PROTECTED.length))];
  if (text === undefined) throw new Error(`internal: no argument behind ${JSON.stringify(value)}`);
  return { text, protected: true };
}

/** A message from the parser with any placeholders shown as the arguments they stand for. */
export function withArgumentsRestored(message: string): string {
  return message.replace(new RegExp(`${PROTECTED}(\\d+)`, 'g'), (_, i: string) => afterDoubleDash[Number(i)] ?? '');
}

/** An IP address or localhost, with or without a port: what a user means as the router's address. */
export function looksLikeAddress(text: string): boolean {
  const bare = /^\[([^\]]+)\](?::\d+)?$/.exec(text)?.[1] ?? text.replace(/:\d+$/, '');
  const host = bare.toLowerCase();
  return host === 'localhost' || net.isIP(bare) !== 0 || net.isIP(text) !== 0;
}

/**
 * `--password`, `--password-file` and, for the router, `--replica-password`. Secrets can
 * come from the environment or a file so they need not show in the process list.
 */
export function withAuth(y: Argv, kind: 'router' | 'replica' | 'client'): Argv {
  const env = kind === 'replica' ? `${ENV_REPLICA_PASSWORD}, then ${ENV_PASSWORD}` : ENV_PASSWORD;
  const what =
    kind === 'router'
      ? 'password clients (and replicas, unless --replica-password is set) must prove they know'
      : kind === 'replica'
        ? "the router's replica password (its --replica-password, or else its --password)"
        : "the router's password";
  let out = y
    .option('password', {
      type: 'string',
      group: GROUP_AUTH,
      describe: `${what} [env: ${env}]`,
      defaultDescription: 'none',
      coerce: single(String),
    })
    .option('password-file', {
      type: 'string',
      group: GROUP_AUTH,
      describe: 'read the password from this file (first line) when neither the option nor the env var is set',
      normalize: true,
      coerce: single(String),
    });
  if (kind === 'router') {
    out = out.option('replica-password', {
      type: 'string',
      group: GROUP_AUTH,
      describe: `separate password for replicas, so a client credential cannot receive the write stream [env: ${ENV_REPLICA_PASSWORD}]`,
      defaultDescription: 'same as --password',
      coerce: single(String),
    });
  }
  return out;
}

/** `--type tcp|tcp6|tls` and the TLS files. */
export function withTls(y: Argv, role: 'server' | 'client'): Argv {
  return y
    .option('type', {
      type: 'string',
      choices: ['tcp', 'tcp6', 'tls'],
      default: 'tcp',
      group: GROUP_TLS,
      describe: 'transport: TCP over IPv4, TCP over IPv6, or TLS',
      coerce: single(String),
    })
    .option('tls-cert', {
      type: 'string',
      group: GROUP_TLS,
      normalize: true,
      describe: role === 'server' ? 'PEM certificate (with --type tls)' : 'PEM client certificate, if the router asks for one',
      coerce: single(String),
    })
    .option('tls-key', {
      type: 'string',
      group: GROUP_TLS,
      normalize: true,
      describe: role === 'server' ? 'PEM private key of --tls-cert' : 'PEM private key of the client certificate',
      coerce: single(String),
    })
    .option('tls-ca', {
      type: 'string',
      group: GROUP_TLS,
      normalize: true,
      describe:
        role === 'server'
          ? 'PEM CA bundle; when given, clients and replicas must present a certificate it signed'
          : "PEM CA bundle that signed the router's certificate (self-signed: the certificate itself)",
      coerce: single(String),
    });
}

/** `-v`, `-l FILE`, `--log-format`: every server mode logs through createLogger. */
export function withLogging(y: Argv): Argv {
  return y
    .option('verbose', { alias: 'v', type: 'boolean', default: false, group: GROUP_LOGGING, describe: 'log debug messages' })
    .option('log-file', {
      alias: 'l',
      type: 'string',
      normalize: true,
      group: GROUP_LOGGING,
      describe: 'also write the log to this file',
      coerce: single(String),
    })
    .option('log-format', {
      type: 'string',
      choices: ['text', 'json'],
      default: 'text',
      group: GROUP_LOGGING,
      describe: 'log line format',
      coerce: single(String),
    });
}

/** For modes that listen: the explicit opt-out of the non-loopback password rule. */
export function withInsecure(y: Argv): Argv {
  return y.option('insecure', {
    type: 'boolean',
    default: false,
    describe: 'allow listening on a non-loopback address without a password',
  });
}

/** The parsed values of the groups above, as yargs hands them to a handler (camel-cased). */
export interface HostPortArgs {
  host?: string;
  port: number;
}
export interface AuthArgs {
  password?: string;
  passwordFile?: string;
  replicaPassword?: string;
}
export interface TlsArgs {
  type: TransportType;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
}
export interface LoggingArgs {
  verbose: boolean;
  logFile?: string;
  logFormat: 'text' | 'json';
}

