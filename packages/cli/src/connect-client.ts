import { connect } from '@kvndb/client';
import type { KvndbClient } from '@kvndb/client';
import { toKvndbError } from '@kvndb/shared';
import { hintFor } from './console/format';
import { formatAddress, loadTls, resolveHost } from './endpoint';
import type { AuthArgs, HostPortArgs, TlsArgs } from './options';
import { clientSecret } from './secrets';

export interface ClientArgs extends HostPortArgs, AuthArgs, TlsArgs {
  timeout?: number;
}

/**
 * Connects the console or a one-shot command to the router. A failure becomes one line
 * that says where it tried and, for a wrong password or no replicas, what to do.
 */
export async function openClient(args: ClientArgs, options: { reconnect: boolean }): Promise<{ client: KvndbClient; label: string }> {
  const host = resolveHost(args);
  const label = formatAddress(host, args.port);
  const tls = loadTls(args, 'client');
  try {
    const client = await connect({
      host,
      port: args.port,
      type: args.type,
      tls,
      password: clientSecret(args),
      requestTimeoutMs: args.timeout,
      reconnect: options.reconnect,
      name: 'kvndb-cli',
    });
    return { client, label };
  } catch (err) {
    const error = toKvndbError(err);
    const hint = hintFor(error.code);
    // The transport's own message usually names the address already.
    const what = error.message.startsWith('cannot connect') ? error.message : `cannot connect to ${label}: ${error.message}`;
    throw new Error(`${what} [${error.code}]${hint ? ` (${hint})` : ''}`, { cause: err });
  }
}
