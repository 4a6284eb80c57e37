import net from 'node:net';
import tls from 'node:tls';
import { KvndbError, ErrorCode } from './errors';

/** The transports kvndb speaks, as the original kvndb's --type offered. */
export type TransportType = 'tcp' | 'tcp6' | 'tls';

export interface TlsMaterial {
  cert?: string | Buffer;
  key?: string | Buffer;
  ca?: string | Buffer;
  /** Router side: ask for and verify client certificates against `ca`. */
  requestCert?: boolean;
  /** Client side: verify the server certificate (default true). */
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface Endpoint {
  host: string;
  port: number;
  type?: TransportType;
  tls?: TlsMaterial;
}

export function defaultHost(type: TransportType = 'tcp'): string {
  return type === 'tcp6' ? '::1' : '127.0.0.1';
}

/** Start listening; resolves with the server once it is bound (port 0 picks a free port). */
export function listen(endpoint: Endpoint, onSocket: (socket: net.Socket) => void): Promise<net.Server> {
  const type = endpoint.type ?? 'tcp';
  let server: net.Server;
  if (type === 'tls') {
    const t = endpoint.tls ?? {};
    if (!t.cert || !t.key) {
      return Promise.reject(new KvndbError(ErrorCode.BAD_REQUEST, 'TLS needs a certificate and a key (--tls-cert, --tls-key)'));
    }
    server = tls.createServer(
      { cert: t.cert, key: t.key, ca: t.ca, requestCert: !!t.requestCert, rejectUnauthorized: !!t.requestCert },
      onSocket,
    );
  } else {
    server = net.createServer({ noDelay: true }, onSocket);
  }
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ host: endpoint.host, port: endpoint.port, ipv6Only: type === 'tcp6' }, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

/** Connect to a router; resolves once the transport (and TLS handshake) is up. */
export function dial(endpoint: Endpoint, timeoutMs = 10000): Promise<net.Socket> {
  const type = endpoint.type ?? 'tcp';
  return new Promise((resolve, reject) => {
    let socket: net.Socket;
    const readyEvent = type === 'tls' ? 'secureConnect' : 'connect';
    if (type === 'tls') {
      const t = endpoint.tls ?? {};
      socket = tls.connect({
        host: endpoint.host,
        port: endpoint.port,
        ca: t.ca,
        cert: t.cert,
        key: t.key,
        servername: t.servername ?? (net.isIP(endpoint.host) ? undefined : endpoint.host),
        rejectUnauthorized: t.rejectUnauthorized ?? true,
      });
    } else {
      socket = net.connect({ host: endpoint.host, port: endpoint.port, family: type === 'tcp6' ? 6 : undefined });
    }
    const timer = setTimeout(() => {
      socket.destroy();
      reject(KvndbError.timeout(`could not connect to ${endpoint.host}:${endpoint.port} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(KvndbError.connectionClosed(`cannot connect to ${endpoint.host}:${endpoint.port}: ${err.message}`, err));
    };
    socket.once('error', onError);
    socket.once(readyEvent, () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

export function describeAddress(socket: net.Socket): string {
  const host = socket.remoteAddress ?? '?';
  return host.includes(':') ? `[${host}]:${socket.remotePort}` : `${host}:${socket.remotePort}`;
}
