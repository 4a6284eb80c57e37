import { readFileSync } from 'node:fs';
import { ENV_PASSWORD, ENV_REPLICA_PASSWORD } from './options';
import type { AuthArgs } from './options';
import { UsageError } from './usage-error';

/**
 * Where a secret comes from, in order: the option, the environment, a file. An empty
 * string means "no password" everywhere, so `KVNDB_PASSWORD=` does not set an empty one.
 */
export interface SecretSources {
  option?: string;
  env: NodeJS.ProcessEnv;
  envNames: string[];
  file?: string;
}

export function resolveSecret(sources: SecretSources): string | undefined {
  if (sources.option) return sources.option;
  for (const name of sources.envNames) {
    const value = sources.env[name];
    if (value) return value;
  }
  if (sources.file) return readSecretFile(sources.file);
  return undefined;
}

/** The first line of the file, without its line ending: what `echo secret > f` writes. */
export function readSecretFile(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    // A wrong path on the command line: a usage error (exit code 2), naming the file and why.
    throw new UsageError(`cannot read password file ${file}: ${(err as Error).message}`);
  }
  const line = text.split(/\r?\n/, 1)[0];
  return line || undefined;
}

/** The secret a client (console, one-shot commands) proves. */
export function clientSecret(args: AuthArgs, env = process.env): string | undefined {
  return resolveSecret({ option: args.password, env, envNames: [ENV_PASSWORD], file: args.passwordFile });
}

/** The secret a replica proves: --password, KVNDB_REPLICA_PASSWORD, KVNDB_PASSWORD, then the file. */
export function replicaSecret(args: AuthArgs, env = process.env): string | undefined {
  return resolveSecret({
    option: args.password,
    env,
    envNames: [ENV_REPLICA_PASSWORD, ENV_PASSWORD],
    file: args.passwordFile,
  });
}

/** The router's two secrets. Without a replica secret the router uses the client one. */
export function routerSecrets(args: AuthArgs, env = process.env): { password?: string; replicaPassword?: string } {
  return {
    password: clientSecret(args, env),
    replicaPassword: args.replicaPassword || env[ENV_REPLICA_PASSWORD] || undefined,
  };
}
