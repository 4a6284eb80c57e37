import {
  ErrorCode,
  FramedConnection,
  KvndbError,
  type Link,
  type Listener,
  type Logger,
  type ReplicaHelloInfo,
  type Transport,
} from '@kvndb/shared';
import { AuthThrottle } from './auth-throttle';
import { ClientSession, type ClientSessionOptions, type RequestExecutor } from './client-session';
import { ServerHandshake } from './handshake';

export interface AdmissionOptions {
  clientSecret: string;
  replicaSecret: string;
  handshakeTimeoutMs: number;
  /** Open connections (clients, replicas and handshakes together) before new ones are refused. */
  maxConnections: number;
  maxPendingAuthFailures: number;
  /** The configured frame limit (the handshake lowers it until WELCOME). */
  maxFrameBytes: number;
  session: ClientSessionOptions;
  logger: Logger;
  /** WELCOME info, computed when it is sent (epoch and seq move). */
  welcomeInfo: () => Record<string, unknown>;
  /** Client requests go here (the request dispatcher). */
  requests: RequestExecutor;
  /** Replicas go here after WELCOME (the replica set). */
  replicas: { readonly size: number; add(id: number, conn: FramedConnection, info: ReplicaHelloInfo): unknown };
}

/**
 * The door every connection comes through, from any Transport: connection limits and the
 * auth throttle first, then the handshake (ServerHandshake), then a client session or a
 * replica for the replica set.
 */
export class Admission {
  private accepting = false;
  private readonly throttle: AuthThrottle;
  private readonly sessions = new Set<ClientSession>();
  /** Connections still in the handshake. */
  private readonly handshakes = new Map<FramedConnection, ServerHandshake>();
  private readonly listeners: Listener[] = [];
  /** Clients and replicas share one id sequence. */
  private nextId = 0;
  /** Date.now() of the last "connection refused" warning, so a flood logs once a second. */
  private refusedLoggedAt = 0;

  constructor(private readonly options: AdmissionOptions) {
    this.throttle = new AuthThrottle(200, 5000, 60_000, 10_000, options.maxPendingAuthFailures);
  }

  /** Failed native handshakes since the start. */
  get authFailures(): number {
    return this.throttle.failuresTotal;
  }

  /** Handshakes under way (connections not yet admitted). */
  get handshakeCount(): number {
    return this.handshakes.size;
  }

  get clientCount(): number {
    return this.sessions.size;
  }

  /** Start admitting connections. */
  open(): void {
    this.accepting = true;
  }

  /** Listen on `transport`: its connections are admitted like any other. */
  async serve(transport: Transport): Promise<Listener> {
    const listener = await transport.listen((link) => this.accept(link));
    this.listeners.push(listener);
    return listener;
  }

  accept(link: Link): void {
    if (!this.accepting) {
      link.stream.destroy();
      return;
    }
    const o = this.options;
    const conn = new FramedConnection(link.stream, { maxFrameBytes: o.maxFrameBytes, address: link.address, inProcess: link.inProcess });
    const open = this.handshakes.size + this.sessions.size + o.replicas.size;
    if (open >= o.maxConnections) {
      this.refuse(conn, new KvndbError(ErrorCode.TOO_MANY_REQUESTS, `too many connections (the limit is ${o.maxConnections})`));
      return;
    }
    const remoteHost = link.remoteHost ?? link.address;
    if (this.throttle.blocked(remoteHost)) {
      this.refuse(
        conn,
        new KvndbError(ErrorCode.TOO_MANY_REQUESTS, 'too many failed authentications from this address; try again later'),
      );
      return;
    }
    const hs = new ServerHandshake(conn, {
      remoteHost,
      clientSecret: o.clientSecret,
      replicaSecret: o.replicaSecret,
      timeoutMs: o.handshakeTimeoutMs,
      throttle: this.throttle,
      logger: o.logger,
      welcomeInfo: o.welcomeInfo,
      onReady: (result) => {
        this.handshakes.delete(conn);
        if (result.role === 'client') this.addClient(conn, result.name);
        else o.replicas.add(++this.nextId, conn, result.info);
      },
    });
    this.handshakes.set(conn, hs);
    conn.once('close', () => this.handshakes.delete(conn));
  }

  /** About once a second: slowloris and idle clients are closed. */
  checkTimeouts(now: number): void {
    for (const s of this.sessions) s.checkTimeouts(now);
  }

  /**
   * Stop admitting: close the listeners, send every client SHUTTING_DOWN after the answers
   * already queued, refuse handshakes in progress. Resolves once the listeners are closed.
   */
  stop(err: KvndbError): Promise<void> {
    const wasAccepting = this.accepting;
    this.accepting = false;
    const closed = wasAccepting ? Promise.all(this.listeners.map((l) => l.close())) : Promise.resolve();
    for (const s of this.sessions) s.shutdown();
    for (const hs of [...this.handshakes.values()]) hs.abort(err);
    return closed.then(() => undefined);
  }

  /** Turn a new connection away before its handshake, with a reason (logged at most once a second). */
  private refuse(conn: FramedConnection, err: KvndbError): void {
    const now = Date.now();
    if (now - this.refusedLoggedAt >= 1000) {
      this.refusedLoggedAt = now;
      this.options.logger.warn(`refused connection from ${conn.address}: ${err.message}`);
    }
    conn.sendErrorAndClose(err);
  }

  private addClient(conn: FramedConnection, name: string | undefined): void {
    const o = this.options;
    const session = new ClientSession(++this.nextId, conn, name, o.requests, o.session, o.logger);
    this.sessions.add(session);
    conn.once('close', () => this.sessions.delete(session));
    o.logger.debug(`client ${name ?? ''} connected from ${conn.address}`);
  }
}
