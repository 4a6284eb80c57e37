import { EventEmitter } from 'node:events';
import {
  COMMANDS,
  DEFAULT_LIMITS,
  ErrorCode,
  FramedConnection,
  Immediate,
  KvndbError,
  Op,
  describe,
  encodeFrame,
  peerHandshake,
  socketTransport,
  type ClientMethod,
  type CommandMethods,
  type KeysPage,
  type Limits,
  type PubSubMessage,
  type Transport,
  type WelcomeInfo,
} from '@kvndb/shared';
import { Command, CommandQueue } from './command-queue';
import { formatEndpoint, positiveOr, resolveOptions, type ConnectOptions, type ResolvedOptions } from './options';
import { Reconnector, type ReconnectingInfo } from './reconnector';
import { ClientStreams, type StreamHandler } from './streams';
import { Watch, type StreamHost, type WatchOptions } from './watch';
import { BlockingRequest } from './blocking-request';
import { Subscriptions, type Subscription, type SubscriptionEvents } from './subscriptions';

/**
 * A connection to a kvndb router. Requests are pipelined on one socket and matched to
 * answers by id; when the connection drops the client reconnects with backoff, re-sends the
 * reads that were in flight, fails the writes that were (they may or may not have been
 * applied) and holds new requests until it is back.
 *
 * Events: 'connect' (WelcomeInfo), 'disconnect' (err), 'reconnecting' ({attempt, delayMs}),
 * 'error' (err: reconnecting has stopped for good; emitted only when someone listens).
 */
// The command methods (get, set, mget, ...) come from the commands' definitions in
// @kvndb/shared: this declaration gives them their types, installMethods() below the code.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface KvndbClient extends CommandMethods {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class KvndbClient extends EventEmitter implements StreamHost {
  /** 'host:port' of the router. */
  readonly endpoint: string;
  private readonly options: ResolvedOptions;
  private readonly transport: Transport;
  private readonly queue: CommandQueue;
  private readonly reconnector: Reconnector;
  private conn: FramedConnection | null = null;
  /** A connection still in its handshake, so close() can cut it short. */
  private opening: FramedConnection | null = null;
  /** The router's limits, from its WELCOME. */
  limits: Limits = DEFAULT_LIMITS;
  /** Watches, blocking reads and subscriptions open on the connection (streams.ts). */
  private readonly streams = new ClientStreams();
  private closed = false;
  /** Set when reconnecting gave up; every later request fails with it. */
  private fatal: KvndbError | null = null;
  /** Between losing a connection and getting the next one: requests wait. */
  private reconnecting = false;
  private readonly subscriptions: Subscriptions;

  /** Use connect(); the constructor does not open the connection. */
  constructor(options: ConnectOptions = {}) {
    super();
    this.options = resolveOptions(options);
    const o = this.options;
    this.transport = o.transport ?? socketTransport({ host: o.host, port: o.port, type: o.type, tls: o.tls });
    this.endpoint = formatEndpoint(this.options.host, this.options.port);
    this.queue = new CommandQueue({ timeoutMs: this.options.requestTimeoutMs, maxQueued: this.options.maxQueued });
    this.reconnector = new Reconnector({ maxDelayMs: this.options.maxReconnectDelayMs });
    this.reconnector.on('reconnecting', (info: ReconnectingInfo) => this.emit('reconnecting', info));
    const client = this;
    this.subscriptions = new Subscriptions({
      get limits() {
        return client.limits;
      },
      get connected() {
        return client.conn !== null;
      },
      openStream: (msg, onEvent) => this.openSubscription(msg, onEvent),
      closeStream: (id) => this.streams.delete(id),
      request: (msg) => this.send(msg, (v) => v, false),
      report: (err, handlerThrew) => this.report(err, handlerThrew),
    });
  }

  /**
   * Receive the messages published on `channels` (a PUBLISH at any door). Resolves once
   * subscribed, with the handle that unsubscribes. After a reconnect the client subscribes
   * again by itself; messages published in between are not delivered (nothing is stored).
   */
  subscribe(channels: string | string[], onMessage: (message: PubSubMessage) => void): Promise<Subscription> {
    return this.subscriptions.subscribe('channels', typeof channels === 'string' ? [channels] : channels, onMessage);
  }

  /** subscribe() for glob patterns (Redis's: `news.*`, `user:?`, `[a-c]*`); each message carries the pattern it matched. */
  psubscribe(patterns: string | string[], onMessage: (message: PubSubMessage) => void): Promise<Subscription> {
    return this.subscriptions.subscribe('patterns', typeof patterns === 'string' ? [patterns] : patterns, onMessage);
  }

  /** True while a connection is up and handshaken. */
  get connected(): boolean {
    return this.conn !== null;
  }

  /** Open the first connection; rejects at once on failure (no retry). Called by connect(). */
  async open(): Promise<this> {
    if (this.conn || this.opening || this.reconnector.running) {
      throw new KvndbError(ErrorCode.BAD_REQUEST, 'open() was already called');
    }
    if (this.closed) throw KvndbError.connectionClosed('client closed');
    const [conn, welcome] = await this.handshake();
    this.adopt(conn, welcome);
    return this;
  }

    /** Every key starting with `prefix`, fetched page by page (`pageSize` keys per request). */
  async *scanKeys(prefix = '', options: { pageSize?: number } = {}): AsyncIterableIterator<string> {
    let cursor: string | null = null;
    do {
      const page: KeysPage = await this.keys(prefix, { limit: options.pageSize, cursor });
      yield* page.keys;
      cursor = page.cursor;
    } while (cursor !== null);
  }

  /**
   * Watch every change to the keys starting with `prefix` (a string; '' = all) or to the
   * given keys (an array): an async iterable of { epoch, seq, key, type, value?, version }
   * in write order, which resumes by itself after a reconnect or a router restart from the
   * last seq it received. It fails with COMPACTED (err.details.oldestSeq) when the router
   * no longer holds the changes after that seq. See docs/PROTOCOL.md "Change streams".
   */
  watch(prefixOrKeys: string | string[], options: WatchOptions = {}): Watch {
    return new Watch(this, prefixOrKeys, options);
  }

  /** @internal StreamHost: send `msg` as a stream opener; undefined while not connected. */
  openStream(msg: unknown[], handler: StreamHandler): number | undefined {
    if (this.closed) throw KvndbError.connectionClosed('client closed');
    if (this.fatal) throw this.fatal;
    const conn = this.conn;
    if (conn === null) {
      if (!this.reconnecting) throw KvndbError.connectionClosed(`not connected to ${this.endpoint}`);
      return undefined;
    }
    let id: number;
    do id = this.queue.allocateId();
    while (this.streams.has(id));
    msg[1] = id;
    const frame = encodeFrame(msg, this.limits.maxFrameBytes);
    this.streams.add(id, handler);
    conn.sendFrame(frame);
    return id;
  }

  /** @internal StreamHost: forget stream `id`; with `unwatch`, tell the router too. */
  closeStream(id: number, unwatch: boolean): void {
    if (!this.streams.has(id)) return;
    this.streams.delete(id);
    if (unwatch && this.conn !== null && !this.closed) {
      this.send([Op.UNWATCH, 0, id], () => undefined, false).catch(() => undefined);
    }
  }

  /** @internal StreamHost: call `fn` after every (re)connection, and once reconnecting gave up for good. */
  onConnect(fn: () => void): () => void {
    this.on('connect', fn);
    this.on('fatal', fn);
    return () => {
      this.off('connect', fn);
      this.off('fatal', fn);
    };
  }

  /** Close the connection; requests still waiting or in flight fail with CONNECTION_CLOSED. */
  async close(): Promise<void> {
    const err = KvndbError.connectionClosed('client closed');
    if (!this.closed) {
      this.closed = true;
      this.reconnector.stop(err);
      this.queue.flushAll(err);
      this.streams.connectionLost(err);
      this.opening?.close(err);
      this.opening = null;
    }
    const conn = this.conn;
    if (conn) {
      this.conn = null;
      conn.close(err);
      const stream = conn.stream;
      if (!stream.closed) await new Promise<void>((resolve) => stream.once('close', () => resolve()));
    }
  }

  // ---- internals ----

  /**
   * Send one request for a command method: check its arguments, queue it, resolve with the
   * decoded answer. Every failure, bad arguments included, is a rejection.
   */
  call<R>(method: ClientMethod<unknown[], R>, args: unknown[]): Promise<R> {
    try {
      const msg = method.request(this.limits, args);
      if (msg instanceof Immediate) return Promise.resolve(msg.value);
      const waitMs = method.waitMs?.(args) ?? 0;
      if (waitMs !== 0 && method.retryable) {
        // A blocking read: it survives a reconnect with what is left of its wait.
        const decode = (v: unknown) => method.decode(v, args);
        return new BlockingRequest<R>(this, msg, decode, waitMs, this.options.requestTimeoutMs).promise;
      }
      // Only a decoder that reads the arguments gets a closure; the rest stay allocation-free.
      const decode = method.decode.length > 1 ? (v: unknown) => method.decode(v, args) : (method.decode as (v: unknown) => R);
      return this.send(msg, decode, method.retryable, waitMs) as Promise<R>;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Queue one request. `msg[1]` is a placeholder for the id. Throws for a frame over the
   * limit or when the request cannot be queued.
   */
  private send(msg: unknown[], decode: (value: unknown) => unknown, retryable: boolean, waitMs = 0, onStream?: StreamHandler): Promise<unknown> {
    if (this.closed) throw KvndbError.connectionClosed('client closed');
    if (this.fatal) throw this.fatal;
    const conn = this.conn;
    if (conn === null && !this.reconnecting) throw KvndbError.connectionClosed(`not connected to ${this.endpoint}`);
    const id = this.queue.allocateId();
    msg[1] = id;
    if (onStream !== undefined) this.streams.add(id, onStream);
    const cmd = new Command(id, msg[0] as number, decode, encodeFrame(msg, this.limits.maxFrameBytes), retryable, this.queue.deadline());
    const promise = new Promise<unknown>((resolve, reject) => {
      cmd.resolve = resolve;
      cmd.reject = reject;
    });
    if (waitMs !== 0) {
      // A blocking pop: it is not re-sent after a reconnect (a write), so it needs a connection now.
      if (conn === null) throw KvndbError.connectionClosed(`not connected to ${this.endpoint} (reconnecting)`);
      this.queue.addBlocking(cmd, waitMs);
      conn.sendFrame(cmd.frame);
    } else if (conn !== null) {
      this.queue.addSent(cmd);
      conn.sendFrame(cmd.frame);
    } else {
      this.queue.addWaiting(cmd);
    }
    return promise;
  }

  /**
   * Send a request that opens a stream (its id names the stream): `onEvent` gets each of the
   * stream's events, registered before the request leaves. Re-sent after a reconnect while
   * unanswered, like a read.
   */
  private openSubscription(msg: unknown[], onEvent: SubscriptionEvents): { id: number; answer: Promise<unknown> } {
    let answer: Promise<unknown>;
    // The request's own answer settles through the command queue; the subscriptions resubscribe
    // by themselves after a reconnect (reconnected()), so the stream only routes its events.
    const handler: StreamHandler = {
      result: () => {},
      error: () => {},
      lost: () => {},
      event: (payload) => onEvent(payload as unknown[]),
    };
    try {
      answer = this.send(msg, (v) => v, true, 0, handler);
    } catch (err) {
      return { id: 0, answer: Promise.reject(err) };
    }
    return { id: msg[1] as number, answer };
  }

  /**
   * 'error' when someone listens. Else an error thrown by the application's own handler is
   * thrown again (as an EventEmitter would), and a failure of the client's (resubscribing)
   * becomes a process warning.
   */
  private report(err: unknown, handlerThrew: boolean): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else if (handlerThrew)
      setImmediate(() => {
        throw err;
      });
    else process.emitWarning(err instanceof Error ? err.message : String(err), 'KvndbWarning');
  }

  /** Dial and run the handshake; the connection is returned unadopted. */
  private async handshake(): Promise<[FramedConnection, WelcomeInfo]> {
    const o = this.options;
    const link = await this.transport.dial(o.connectTimeoutMs);
    const conn = new FramedConnection(link.stream, { address: link.address, inProcess: link.inProcess });
    if (this.closed) {
      conn.close();
      throw KvndbError.connectionClosed('client closed');
    }
    this.opening = conn;
    try {
      const welcome = await peerHandshake(conn, {
        role: 'client',
        secret: o.password,
        info: o.name !== undefined ? { name: o.name } : {},
        timeoutMs: o.connectTimeoutMs,
      });
      return [conn, welcome];
    } finally {
      if (this.opening === conn) this.opening = null;
    }
  }

  /**
   * Make a handshaken connection the live one and write everything that waited for it.
   * Throws if the connection closed between WELCOME and now (nobody was listening then).
   */
  private adopt(conn: FramedConnection, w: WelcomeInfo): void {
    if (this.closed) {
      conn.close();
      throw KvndbError.connectionClosed('client closed');
    }
    if (conn.isClosed) throw KvndbError.connectionClosed(`connection to ${this.endpoint} closed right after the handshake`);
    this.limits = {
      maxKeyBytes: positiveOr(w.maxKeyBytes, DEFAULT_LIMITS.maxKeyBytes),
      maxValueBytes: positiveOr(w.maxValueBytes, DEFAULT_LIMITS.maxValueBytes),
      maxFrameBytes: positiveOr(w.maxFrameBytes, DEFAULT_LIMITS.maxFrameBytes),
    };
    this.conn = conn;
    this.reconnecting = false;
    conn.onMessage = this.onMessage;
    conn.once('close', (err?: KvndbError) => this.onClose(conn, err));
    for (const cmd of this.queue.takeWaiting()) conn.sendFrame(cmd.frame);
    this.subscriptions.reconnected();
    this.emit('connect', w);
  }

  private readonly onMessage = (msg: unknown): void => {
    if (!Array.isArray(msg)) {
      this.conn?.close(KvndbError.protocol(`message from the router is ${describe(msg)}, not an array`));
      return;
    }
    const op = msg[0];
    if (op === Op.RESULT) {
      const cmd = this.queue.settle(msg[1]);
      if (cmd === undefined) {
        // A stream's answer (streams.ts), or a request that timed out already.
        if (this.streams.size > 0) this.streams.result(msg[1], msg[2]);
        return;
      }
      let value: unknown;
      try {
        value = cmd.decode(msg[2]);
      } catch (err) {
        cmd.reject(err as Error);
        return;
      }
      cmd.resolve(value);
    } else if (op === Op.ERROR) {
      const err = KvndbError.fromWire(msg[2], msg[3], msg[4]);
      if (msg[1] === 0) {
        // Connection-level: the router is closing this connection (SHUTTING_DOWN, PROTOCOL_ERROR, ...).
        this.conn?.close(err);
        return;
      }
      const cmd = this.queue.settle(msg[1]);
      if (cmd !== undefined) cmd.reject(err);
      else this.streams.error(msg[1], err);
    } else if (op === Op.EVENT) {
      try {
        this.streams.event(msg[1], msg[2]);
      } catch (err) {
        // A malformed push (the stream's decoder threw): the connection cannot be trusted.
        this.conn?.close(err instanceof KvndbError ? err : KvndbError.protocol(String(err)));
      }
    } else {
      this.conn?.close(KvndbError.protocol(`unexpected message ${String(op)} from the router`));
    }
  };

  private onClose(conn: FramedConnection, err: KvndbError | undefined): void {
    if (this.conn !== conn) return; // closed by close()
    this.conn = null;
    const cause = err ?? KvndbError.connectionClosed(`connection to ${this.endpoint} closed`);
    this.queue.connectionLost(cause);
    if (!this.options.reconnect) {
      const lost = KvndbError.connectionClosed(`connection to ${this.endpoint} lost and reconnect is off`, cause);
      this.queue.flushAll(lost);
      this.streams.connectionLost(lost);
      this.emit('disconnect', cause);
      return;
    }
    // Set before 'disconnect' so a request made from a listener waits for the new connection.
    this.reconnecting = true;
    // Streams open again on the next connection (a watch from its last seq).
    this.streams.connectionLost(cause);
    this.emit('disconnect', cause);
    if (!this.closed) this.reconnect();
  }

  private reconnect(): void {
    this.reconnector
      .run(async () => {
        const [conn, welcome] = await this.handshake();
        this.adopt(conn, welcome);
      })
      .catch((err: unknown) => {
        if (this.closed) return;
        const fatal =
          err instanceof KvndbError
            ? err
            : new KvndbError(ErrorCode.INTERNAL, `reconnecting failed: ${String(err)}`, { cause: err });
        // Only a fatal error (wrong password or protocol version) ends the loop; the client
        // cannot recover on its own, so everything waiting and everything later fails with it.
        this.fatal = fatal;
        this.reconnecting = false;
        this.queue.flushAll(fatal);
        this.emit('fatal', fatal);
        if (this.listenerCount('error') > 0) this.emit('error', fatal);
      });
  }
}

/** Give KvndbClient one method per client method of every command. */
function installMethods(): void {
  for (const command of COMMANDS) {
    for (const [name, method] of Object.entries(command.methods) as [string, ClientMethod<unknown[], unknown>][]) {
      if (name in KvndbClient.prototype) throw new Error(`client method ${name} is defined twice`);
      Object.defineProperty(KvndbClient.prototype, name, {
        value: function (this: KvndbClient, ...args: unknown[]) {
          return this.call(method, args);
        },
        writable: true,
        configurable: true,
      });
    }
  }
}
installMethods();

/** Connect to a router. Resolves after the first successful handshake. */
export async function connect(options: ConnectOptions = {}): Promise<KvndbClient> {
  const client = new KvndbClient(options);
  return client.open();
}
