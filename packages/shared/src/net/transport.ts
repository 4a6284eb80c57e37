import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { KvndbError, ErrorCode } from '../protocol/errors';

/**
 * How kvndb reaches a peer. A transport listens (router) or dials (client, replica) and
 * hands over a Link: a byte stream plus who is on the other end. Everything above it
 * (framing, handshake, sessions) sees only the Link, so TCP, TLS and the in-process
 * transport (in-process-transport.ts) are interchangeable.
 */
export interface Transport {
  /** 'tcp', 'tcp6', 'tls' or 'in-process'. */
  readonly kind: string;
  listen(onLink: (link: Link) => void): Promise<Listener>;
  dial(timeoutMs?: number): Promise<Link>;
}

/** One connection: the bytes, and the peer as logs and errors name it. */
export interface Link {
  readonly stream: Duplex;
  /** "host:port" of the peer, or the in-process transport's name. */
  readonly address: string;
  /** The peer's IP address, for per-address limits; undefined in process. */
  readonly remoteHost?: string;
  /** Both ends are in this thread (the in-process transport): writing costs no syscall. */
  readonly inProcess?: boolean;
}

export interface Listener {
  /** Where it listens (port 0 resolved to the bound port). */
  readonly address: { host: string; port: number };
  /** Stop accepting; connections already made stay open. */
  close(): Promise<void>;
}

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

/**
 * Start listening; resolves with the server once it is bound (port 0 picks a free port).
 * Binding errors reject; an error after that (EMFILE on accept, ...) goes to `onError`, or
 * is ignored without one (a net.Server with no 'error' listener would throw it instead).
 */
export function listen(
  endpoint: Endpoint,
  onSocket: (socket: net.Socket) => void,
  onError: (err: Error) => void = () => {},
): Promise<net.Server> {
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
    const onBindError = (err: Error) => reject(err);
    server.once('error', onBindError);
    server.listen({ host: endpoint.host, port: endpoint.port, ipv6Only: type === 'tcp6' }, () => {
      server.off('error', onBindError);
      server.on('error', onError);
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

/** "host:port" of a socket's peer ("[::1]:port" for IPv6); "in-process" for a stream that is no socket. */
export function describeAddress(stream: Duplex): string {
  if (!('remotePort' in stream)) return 'in-process';
  const socket = stream as net.Socket;
  const host = socket.remoteAddress ?? '?';
  return host.includes(':') ? `[${host}]:${socket.remotePort}` : `${host}:${socket.remotePort}`;
}

export interface SocketTransportOptions {
  /** A TLS handshake not finished within this long is cut off (Node's default is 120 s). */
  handshakeTimeoutMs?: number;
  /** The listening server's maxConnections (a TCP-level backstop). */
  maxConnections?: number;
  /** An error on the listening server once it is bound (EMFILE on accept, ...); default: ignored. */
  onError?: (err: Error) => void;
}

/** The TCP, TCP6 or TLS transport for `endpoint`. */
export function socketTransport(endpoint: Endpoint, options: SocketTransportOptions = {}): Transport {
  const type = endpoint.type ?? 'tcp';
  return {
    kind: type,
    async listen(onLink) {
      const server = await listen(endpoint, (socket) => {
        // TLS: `socket` wraps the raw TCP socket whose TLS-handshake timeout is set below.
        (socket as net.Socket & { _parent?: net.Socket })._parent?.setTimeout(0);
        onLink(socketLink(socket));
      }, options.onError);
      if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
      if (type === 'tls' && options.handshakeTimeoutMs) {
        // Node gives a TLS handshake 120 s; a peer that never finishes it gets ours instead.
        const ms = options.handshakeTimeoutMs;
        server.on('connection', (raw: net.Socket) => raw.setTimeout(ms, () => raw.destroy()));
      }
      const addr = server.address() as net.AddressInfo;
      return {
        address: { host: addr.address, port: addr.port },
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      };
    },
    async dial(timeoutMs) {
      return socketLink(await dial(endpoint, timeoutMs));
    },
  };
}

function socketLink(socket: net.Socket): Link {
  return { stream: socket, address: describeAddress(socket), remoteHost: socket.remoteAddress };
}
