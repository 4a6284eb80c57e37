import {
  DEFAULT_PORT,
  KvndbError,
  defaultHost,
  describe,
  type TlsMaterial,
  type Transport,
  type TransportType,
} from '@kvndb/shared';

export interface ConnectOptions {
  /** Router host, default '127.0.0.1'. */
  host?: string;
  /** Router port, default 54565. */
  port?: number | string;
  /** 'tcp' | 'tcp6' | 'tls'; setting `tls` implies 'tls'. */
  type?: TransportType;
  /** TLS material, or true for TLS with the system's CAs. */
  tls?: TlsMaterial | boolean;
  /** The router's client password; default process.env.KVNDB_PASSWORD. */
  password?: string;
  /** Shown in the router's logs and status. */
  name?: string;
  /** Per request, including time spent waiting for a connection; default 10000. */
  requestTimeoutMs?: number;
  /** Per connection attempt (transport and handshake each); default 10000. */
  connectTimeoutMs?: number;
  /** Reconnect when the connection is lost; default true. */
  reconnect?: boolean;
  /** Backoff ceiling between reconnect attempts; default 2000. */
  maxReconnectDelayMs?: number;
  /** Requests allowed to wait while disconnected; default 10000. */
  maxQueued?: number;
  /**
   * Reach the router through this transport instead of TCP/TLS to host and port (for
   * example an InProcessTransport to a router in the same process).
   */
  transport?: Transport;
}


export interface ResolvedOptions {
  host: string;
  port: number;
  type: TransportType;
  tls: TlsMaterial | undefined;
  password: string | undefined;
  name: string | undefined;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  reconnect: boolean;
  maxReconnectDelayMs: number;
  maxQueued: number;
  transport: Transport | undefined;
}

export function resolveOptions(o: ConnectOptions): ResolvedOptions {
  if (o === null || typeof o !== 'object') throw KvndbError.badRequest(`options must be an object, got ${describe(o)}`);
  const tls = o.tls === true ? {} : o.tls === false || o.tls === undefined ? undefined : o.tls;
  const type: TransportType = o.type ?? (tls ? 'tls' : 'tcp');
  if (type !== 'tcp' && type !== 'tcp6' && type !== 'tls') {
    throw KvndbError.badRequest(`type must be 'tcp', 'tcp6' or 'tls', got ${String(type)}`);
  }
  const port = resolvePort(o.port);
  const host = o.host ?? defaultHost(type);
  if (typeof host !== 'string' || host.length === 0) throw KvndbError.badRequest('host must be a non-empty string');
  const password = o.password ?? process.env.KVNDB_PASSWORD;
  if (password !== undefined && typeof password !== 'string') throw KvndbError.badRequest('password must be a string');
  return {
    host,
    port,
    type,
    tls,
    password,
    name: o.name,
    requestTimeoutMs: positiveOption('requestTimeoutMs', o.requestTimeoutMs, 10000),
    connectTimeoutMs: positiveOption('connectTimeoutMs', o.connectTimeoutMs, 10000),
    reconnect: o.reconnect ?? true,
    maxReconnectDelayMs: positiveOption('maxReconnectDelayMs', o.maxReconnectDelayMs, 2000),
    maxQueued: o.maxQueued === 0 ? 0 : positiveOption('maxQueued', o.maxQueued, 10000),
    transport: o.transport,
  };
}

/** A port number, or a string of decimal digits (as environment variables give it). */
function resolvePort(given: unknown): number {
  if (given === undefined) return DEFAULT_PORT;
  const port = typeof given === 'string' && /^[0-9]{1,5}$/.test(given) ? Number(given) : given;
  if (typeof port !== 'number') {
    throw KvndbError.badRequest(`port must be a number from 0 to 65535 (or a string of digits), got ${describe(given)} ${JSON.stringify(String(given)).slice(0, 40)}`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw KvndbError.badRequest(`port must be a whole number from 0 to 65535, got ${String(port)}`);
  }
  return port;
}

function positiveOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw KvndbError.badRequest(`${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}

export function positiveOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && value > 0 ? value : fallback;
}

export function formatEndpoint(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

