import { readFileSync } from 'node:fs';
import net from 'node:net';
import { defaultHost } from '@kvndb/shared';
import type { TlsMaterial, TransportType } from '@kvndb/shared';
import type { HostPortArgs, TlsArgs } from './options';
import { UsageError } from './usage-error';

/** The host to use: the one given, or the transport's loopback default. */
export function resolveHost(args: HostPortArgs & TlsArgs): string {
  // `kvndb router 6000` would otherwise resolve "6000" as the IPv4 address 0.0.23.112.
  if (args.host && /^\d+$/.test(args.host)) {
    throw new UsageError(
      `"${args.host}" is not a host: the order is HOST PORT (did you mean ${defaultHost(args.type)} ${args.host}, or -p ${args.host}?)`,
    );
  }
  if (args.host && args.host.includes('/')) {
    throw new UsageError(`"${args.host}" is not a host: the order is HOST PORT, and a file comes after them`);
  }
  return args.host || defaultHost(args.type);
}

/** Reads the TLS files named on the command line; undefined unless --type tls. */
export function loadTls(args: TlsArgs, role: 'server' | 'client'): TlsMaterial | undefined {
  if (args.type !== 'tls') {
    const given = [args.tlsCert && '--tls-cert', args.tlsKey && '--tls-key', args.tlsCa && '--tls-ca'].filter(Boolean);
    if (given.length) throw new UsageError(`${given.join(', ')} only apply with --type tls`);
    return undefined;
  }
  if (role === 'server' && (!args.tlsCert || !args.tlsKey)) {
    throw new UsageError('--type tls needs --tls-cert and --tls-key');
  }
  if (Boolean(args.tlsCert) !== Boolean(args.tlsKey)) {
    throw new UsageError('--tls-cert and --tls-key go together');
  }
  const material: TlsMaterial = {};
  if (args.tlsCert) material.cert = readPem(args.tlsCert, '--tls-cert');
  if (args.tlsKey) material.key = readPem(args.tlsKey, '--tls-key');
  if (args.tlsCa) material.ca = readPem(args.tlsCa, '--tls-ca');
  // A router given a CA verifies its peers' certificates (mutual TLS).
  if (role === 'server' && material.ca) material.requestCert = true;
  return material;
}

function readPem(file: string, option: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read ${option} ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** 127.0.0.0/8, ::1, ::ffff:127.x and the name localhost. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) {
    if (h === '::1' || /^0{0,4}(:0{0,4}){6}:0{0,3}1$/.test(h)) return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return !!mapped && mapped[1].startsWith('127.');
  }
  return false;
}

/**
 * The design rule: a server reachable from the network must not run without a password
 * unless the operator says so explicitly. Throws a UsageError explaining why.
 */
export function checkBindSafety(host: string, password: string | undefined, insecure: boolean): void {
  if (password || insecure || isLoopback(host)) return;
  throw new UsageError(
    `refusing to listen on ${host} without a password: anyone who can reach this address could read and overwrite every key. ` +
      `Set --password (or KVNDB_PASSWORD, or --password-file), or pass --insecure if the network is trusted`,
  );
}

/** The address a local process dials to reach a server bound to `host` (wildcards -> loopback). */
export function loopbackFor(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host;
}

/** host:port, with brackets for IPv6. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
