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

/** `[host] [port]` positionals: the address a server binds or a client dials. */
export function withHostPortPositionals(y: Argv, role: 'bind' | 'dial'): Argv {
  return y
    .positional('host', {
      type: 'string',
      describe: role === 'bind' ? `${hostDescription} to listen on` : `router ${hostDescription}`,
      defaultDescription: DEFAULT_HOST,
    })
    .positional('port', {
      type: 'string',
      describe: role === 'bind' ? 'port to listen on (0 picks a free one)' : 'router port',
      default: DEFAULT_PORT,
      coerce: single(parsePort),
    });
}

/** `--host/-H --port/-p`: for the one-shot commands, whose positionals are keys and values. */
export function withHostPortFlags(y: Argv): Argv {
  return y
    .option('host', {
      alias: 'H',
      type: 'string',
      group: GROUP_CONNECTION,
      describe: `router ${hostDescription}`,
      defaultDescription: DEFAULT_HOST,
      coerce: single(String),
    })
    .option('port', {
      alias: 'p',
      type: 'string',
      group: GROUP_CONNECTION,
      describe: 'router port',
      default: DEFAULT_PORT,
      coerce: single(parsePort),
    });
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

