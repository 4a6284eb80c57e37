import type { Server } from 'node:http';
import { DEFAULT_LIMITS, ErrorCode, KvndbError, silentLogger, type Endpoint, type Limits, type Logger } from '@kvndb/shared';
import fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { AuthThrottle } from '../admission/auth-throttle';
import { Door } from '../requests/request-stats';
import { HttpAuth } from './http-auth';
import { HttpContext, type HttpBackend } from './http-context';
import { HttpCode, fromAnything, httpError, sendError, statusOf } from './http-errors';
import { RouterMetrics, type ConnectionSources, type WatcherMetricsSource } from './metrics';
import { healthRoutes, statusRoutes } from './routes/health';
import { keysRoutes } from './routes/keys';
import { kvRoutes } from './routes/kv';
import { metricsRoutes } from './routes/metrics';
import { monitorRoutes } from './routes/monitor';
import { sessionRoutes } from './routes/session';
import { txnRoutes } from './routes/txn';
import { watchRoutes } from './routes/watch';
import { decodeStrict, splitUrl } from './url-decoding';

export interface HttpServerOptions extends Endpoint {
  /** The client password; every API route needs it (or a monitor session) when set. */
  password?: string;
  limits?: Partial<Limits>;
  maxConnections?: number;
  /** ms a request body may take to arrive (slowloris); 0 = never (default 30000). */
  frameTimeoutMs?: number;
  /** ms a request's headers may take (default 10000). */
  handshakeTimeoutMs?: number;
  /** ms an idle keep-alive connection stays open; 0 = Node's default of 5 s. */
  idleTimeoutMs?: number;
  /** Open connections of the RESP door, for /metrics. */
  respConnections?: () => number;
  /** The watchers' numbers for /metrics once watch exists (see WatcherMetricsSource). */
  watchers?: WatcherMetricsSource;
  logger?: Logger;
}

/**
 * The HTTP front door (Fastify): the key/value API under /v1, /metrics, health probes and
 * the web monitor at /. Like the RESP door it sends native requests through the router's
 * request dispatcher, so ordering, write-ack, limits and errors are those of the native
 * protocol; errors become HTTP statuses (http-errors.ts). docs/HTTP.md lists every route.
 */
export class HttpServer {
  readonly logger: Logger;
  readonly limits: Limits;
  readonly metrics: RouterMetrics;
  private app: FastifyInstance | null = null;
  private openConnections = 0;
  private readonly throttle = new AuthThrottle();
  private ctx: HttpContext | null = null;

  constructor(
    readonly backend: HttpBackend,
    readonly options: HttpServerOptions,
  ) {
    this.logger = options.logger ?? silentLogger();
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    const sources: ConnectionSources = { resp: options.respConnections, http: () => this.openConnections };
    this.metrics = new RouterMetrics(backend, sources, options.watchers);
  }

  get connections(): number {
    return this.openConnections;
  }

  async start(): Promise<void> {
    const o = this.options;
    const frameMs = o.frameTimeoutMs ?? 30_000;
    // Node's own request timeout (a bare 408) is the backstop; the body reader answers in JSON first.
    const requestTimeout = frameMs > 0 ? frameMs + 5000 : 0;
    const common = {
      logger: false,
      // The raw-body reader enforces the value limit itself; this bounds JSON bodies (a
      // transaction of base64 values up to the frame limit).
      bodyLimit: Math.ceil((this.limits.maxFrameBytes * 4) / 3) + 65536,
      requestTimeout,
      connectionTimeout: 0,
      keepAliveTimeout: o.idleTimeoutMs && o.idleTimeoutMs > 0 ? o.idleTimeoutMs : 5000,
      return503OnClosing: true,
      forceCloseConnections: true,
      clientErrorHandler: (err: NodeJS.ErrnoException, socket: import('node:net').Socket) => clientError(err, socket),
      frameworkErrors: (err: Error, req: FastifyRequest, reply: FastifyReply) => {
        this.answerError(reply, badUrlReason(req) ?? fromAnything(err));
      },
    };
    const app = (o.type === 'tls' ? fastify({ ...common, https: { ...o.tls } }) : fastify(common)) as unknown as FastifyInstance;
    this.app = app;
    const server = app.server as Server;
    server.headersTimeout = Math.min(o.handshakeTimeoutMs ?? 10_000, requestTimeout || Infinity);
    if (o.maxConnections) server.maxConnections = o.maxConnections;
    server.on('connection', (socket) => {
      this.openConnections++;
      socket.once('close', () => this.openConnections--);
    });

    app.setErrorHandler((err, _req, reply) => {
      const e = fromAnything(err);
      if (statusOf(e.code) >= 500 && e.code !== 'NO_REPLICAS' && e.code !== 'SHUTTING_DOWN') {
        this.logger.error(`HTTP ${_req.method} ${_req.url.slice(0, 200)}: ${e.code} ${e.message}`);
      }
      return this.answerError(reply, e);
    });
    app.setNotFoundHandler((req, reply) =>
      this.answerError(reply, httpError(HttpCode.NOT_FOUND, `no route ${req.method} ${req.url.split('?')[0].slice(0, 200)} (see docs/HTTP.md)`)),
    );

    const ctx = (this.ctx = new HttpContext(this.backend, this.limits, new HttpAuth(o.password)));
    const refuse = async (ip: string, err: KvndbError = KvndbError.authFailed()): Promise<never> => {
      this.backend.stats.authFailed(Door.Http);
      // Delayed as the native handshake and RESP AUTH delay a refusal, growing with repeats.
      const delay = this.throttle.fail(ip);
      this.logger.warn(`HTTP authentication failed from ${ip} (${this.throttle.count(ip)} recent failures)`);
      await new Promise((resolve) => setTimeout(resolve, delay));
      throw err;
    };

    await app.register(healthRoutes(ctx));
    await app.register(monitorRoutes());
    await app.register(sessionRoutes(ctx, refuse));
    await app.register(async (api) => {
      api.addHook('onRequest', async (req) => {
        try {
          ctx.auth.check(req.headers.authorization);
        } catch (err) {
          // No credential at all is no guess (a browser or a probe asks first): answered at
          // once. A wrong one is delayed and counted, as at the other doors.
          if (req.headers.authorization === undefined) throw err;
          await refuse(req.ip, err as KvndbError);
        }
      });
      await api.register(kvRoutes(ctx, { maxBytes: this.limits.maxValueBytes, timeoutMs: frameMs }));
      await api.register(keysRoutes(ctx));
      await api.register(txnRoutes(ctx, common.bodyLimit));
      await api.register(watchRoutes(ctx));
      await api.register(statusRoutes(ctx));
      await api.register(metricsRoutes(this.metrics));
    });

    try {
      await app.listen({ host: o.host, port: o.port });
    } catch (err) {
      this.app = null;
      await app.close();
      throw err;
    }
    this.logger.info(`HTTP listening on ${this.url} (the web monitor; API under /v1, metrics at /metrics)`);
  }

  get address(): { host: string; port: number } {
    const a = this.app?.server.address();
    if (a && typeof a === 'object') return { host: a.address, port: a.port };
    return { host: this.options.host, port: this.options.port };
  }

  /** Where the monitor is, e.g. http://127.0.0.1:8080/. */
  get url(): string {
    const { host, port } = this.address;
    const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
    return `${this.options.type === 'tls' ? 'https' : 'http'}://${h.includes(':') ? `[${h}]` : h}:${port}/`;
  }

  async stop(): Promise<void> {
    const app = this.app;
    this.app = null;
    // Watch streams get their SHUTTING_DOWN event (with the seq to resume from) rather than a
    // cut socket; the doors stop before the router, so the feed's own stop comes too late.
    const err = new KvndbError(ErrorCode.SHUTTING_DOWN, 'the router is shutting down');
    for (const s of [...(this.ctx?.streams ?? [])]) s.shutDown(err);
    if (app) await app.close();
  }

  private answerError(reply: FastifyReply, err: KvndbError) {
    this.backend.stats.error(Door.Http, err);
    return sendError(reply, err);
  }
}

/** Why the router could not take a URL, in the door's words (which escape is bad, or that a key is not UTF-8). */
function badUrlReason(req: FastifyRequest): KvndbError | null {
  try {
    decodeStrict(splitUrl(req.raw.url ?? '').path, 'the URL path');
    return null;
  } catch (err) {
    return err as KvndbError;
  }
}

/**
 * A request Node's HTTP parser refused before Fastify saw it (bytes that are not ASCII in
 * the request line, headers too large, headers too slow): a JSON error like every other,
 * then the connection closes, as the stream cannot be trusted.
 */
function clientError(err: NodeJS.ErrnoException, socket: import('node:net').Socket): void {
  if (!socket.writable) return void socket.destroy();
  let status = 400;
  let code: string = 'BAD_REQUEST';
  let message = `the request is not valid HTTP/1.1 (${err.code ?? err.message}); non-ASCII bytes in the URL must be percent-encoded UTF-8`;
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    message = 'the request headers (URL included) are too large; long keys fit better in POST /v1/txn';
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_HEADERS_TIMEOUT') {
    status = 408;
    code = HttpCode.REQUEST_TIMEOUT;
    message = 'the request took too long to arrive';
  }
  const body = JSON.stringify({ error: code, message });
  socket.end(
    `HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : status === 408 ? 'Request Timeout' : 'Request Header Fields Too Large'}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
