import { EventEmitter } from 'node:events';
import {
  DEFAULT_KEYS_LIMIT,
  DEFAULT_LIMITS,
  DEFAULT_PORT,
  ErrorCode,
  FramedConnection,
  KvndbError,
  MAX_KEYS_LIMIT,
  Op,
  WriteKind,
  checkKey,
  checkValue,
  defaultHost,
  describe,
  encodeFrame,
  peerHandshake,
  socketTransport,
  type KeysPage,
  type Limits,
  type RouterStatus,
  type TlsMaterial,
  type Transport,
  type TransportType,
  type WelcomeInfo,
  type WriteResult,
} from '@kvndb/shared';
import { Command, CommandQueue } from './command-queue';
import { Reconnector, type ReconnectingInfo } from './reconnector';

export interface ConnectOptions {
  /** How to reach the router (e.g. an InProcessTransport); default TCP/TLS to host and port. */
  transport?: Transport;
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
}

/** A value to store: strings are stored as their UTF-8 bytes. */
export type Value = string | Uint8Array;
export type BatchOp = { op: 'set'; key: string; value: Value } | { op: 'del'; key: string };
export interface SetOptions {
  /** Only set when the key does not exist. */
  nx?: boolean;
  /** Only set when the key exists. */
  xx?: boolean;
  /** Return the previous value: use setGet() for this. */
  get?: boolean;
}

/** How an answer becomes the value a method resolves with (a number, not a closure per call). */
const Kind = {
  STRING: 0,
  BUFFER: 1,
  BOOL: 2,
  STRINGS: 3,
  BUFFERS: 4,
  KEYS_PAGE: 5,
  SET_GET: 6,
  VOID: 7,
  WRITE_RESULTS: 8,
  PONG: 9,
  STATUS: 10,
} as const;

/**
 * A connection to a kvndb router. Requests are pipelined on one socket and matched to
 * answers by id; when the connection drops the client reconnects with backoff, re-sends the
 * reads that were in flight, fails the writes that were (they may or may not have been
 * applied) and holds new requests until it is back.
 *
 * Events: 'connect' (WelcomeInfo), 'disconnect' (err), 'reconnecting' ({attempt, delayMs}),
 * 'error' (err: reconnecting has stopped for good; emitted only when someone listens).
 */
export class KvndbClient extends EventEmitter {
  /** 'host:port' of the router. */
  readonly endpoint: string;
  private readonly options: ResolvedOptions;
  private readonly queue: CommandQueue;
  private readonly reconnector: Reconnector;
  private conn: FramedConnection | null = null;
  /** A connection still in its handshake, so close() can cut it short. */
  private opening: FramedConnection | null = null;
  private limits: Limits = DEFAULT_LIMITS;
  private closed = false;
  /** Set when reconnecting gave up; every later request fails with it. */
  private fatal: KvndbError | null = null;
  /** Between losing a connection and getting the next one: requests wait. */
  private reconnecting = false;

  /** Use connect(); the constructor does not open the connection. */
  constructor(options: ConnectOptions = {}) {
    super();
    this.options = resolveOptions(options);
    this.endpoint = formatEndpoint(this.options.host, this.options.port);
    this.queue = new CommandQueue({ timeoutMs: this.options.requestTimeoutMs, maxQueued: this.options.maxQueued });
    this.reconnector = new Reconnector({ maxDelayMs: this.options.maxReconnectDelayMs });
    this.reconnector.on('reconnecting', (info: ReconnectingInfo) => this.emit('reconnecting', info));
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

  /** The value stored at `key` as a UTF-8 string, or null. */
  get(key: string): Promise<string | null> {
    try {
      checkKey(key, this.limits);
      return this.request(Op.GET, Kind.STRING, true, [Op.GET, 0, key]) as Promise<string | null>;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** The value stored at `key` as bytes, or null. */
  getBuffer(key: string): Promise<Buffer | null> {
    try {
      checkKey(key, this.limits);
      return this.request(Op.GET, Kind.BUFFER, true, [Op.GET, 0, key]) as Promise<Buffer | null>;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Store `value` at `key`; resolves true when applied (false when nx/xx prevented it). */
  set(key: string, value: Value, options?: SetOptions): Promise<boolean> {
    try {
      if (options?.get) throw KvndbError.badRequest('set() with {get: true}: use setGet() to read the previous value');
      return this.request(Op.SET, Kind.BOOL, false, this.setMessage(key, value, options, false)) as Promise<boolean>;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Store `value` at `key` and resolve with the previous value (null when there was none). */
  setGet(key: string, value: Value, options?: Omit<SetOptions, 'get'>): Promise<Buffer | null> {
    try {
      return this.request(Op.SET, Kind.SET_GET, false, this.setMessage(key, value, options, true)) as Promise<Buffer | null>;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Delete `key`; resolves whether it existed. */
  del(key: string): Promise<boolean> {
    try {
      checkKey(key, this.limits);
      return this.request(Op.DEL, Kind.BOOL, false, [Op.DEL, 0, key]) as Promise<boolean>;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Whether `key` exists. */
  has(key: string): Promise<boolean> {
    try {
      checkKey(key, this.limits);
      return this.request(Op.HAS, Kind.BOOL, true, [Op.HAS, 0, key]) as Promise<boolean>;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** One page of keys starting with `prefix`, in code point order, after `cursor`. */
  keys(prefix = '', options: { limit?: number; cursor?: string | null } = {}): Promise<KeysPage> {
    try {
      if (typeof prefix !== 'string') throw KvndbError.badRequest(`prefix must be a string, got ${describe(prefix)}`);
      if (prefix.length > 0) checkKey(prefix, this.limits);
      const limit = options.limit ?? DEFAULT_KEYS_LIMIT;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_KEYS_LIMIT) {
        throw KvndbError.badRequest(`limit must be an integer from 1 to ${MAX_KEYS_LIMIT}, got ${String(limit)}`);
      }
      const cursor = options.cursor ?? null;
      if (cursor !== null) {
        if (typeof cursor !== 'string') throw KvndbError.badRequest(`cursor must be a string or null, got ${describe(cursor)}`);
        if (cursor.length > 0) checkKey(cursor, this.limits);
      }
      return this.request(Op.KEYS, Kind.KEYS_PAGE, true, [Op.KEYS, 0, prefix, limit, cursor || null]) as Promise<KeysPage>;
    } catch (err) {
      return Promise.reject(err);
    }
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

  /** Values of several keys as strings (null where missing), in the order asked. */
  mget(keys: string[]): Promise<(string | null)[]> {
    return this.mgetAs(keys, Kind.STRINGS) as Promise<(string | null)[]>;
  }

  /** Values of several keys as bytes (null where missing), in the order asked. */
  mgetBuffer(keys: string[]): Promise<(Buffer | null)[]> {
    return this.mgetAs(keys, Kind.BUFFERS) as Promise<(Buffer | null)[]>;
  }

  /** Store several keys in one atomic write. */
  mset(entries: Record<string, Value> | Array<[string, Value]>): Promise<void> {
    try {
      const list = Array.isArray(entries) ? entries : entries && typeof entries === 'object' ? Object.entries(entries) : null;
      if (list === null) throw KvndbError.badRequest(`mset entries must be an object or an array, got ${describe(entries)}`);
      if (list.length === 0) return Promise.resolve();
      const pairs: [string, Uint8Array][] = new Array(list.length);
      for (let i = 0; i < list.length; i++) {
        const entry = list[i];
        if (!Array.isArray(entry) || entry.length !== 2) throw KvndbError.badRequest(`mset entry ${i} must be a [key, value] pair`);
        checkKey(entry[0], this.limits);
        pairs[i] = [entry[0], this.toBytes(entry[1])];
      }
      return this.request(Op.MSET, Kind.VOID, false, [Op.MSET, 0, pairs]) as Promise<void>;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Apply several writes atomically; resolves with one result per op. */
  batch(ops: BatchOp[]): Promise<WriteResult[]> {
    try {
      if (!Array.isArray(ops)) throw KvndbError.badRequest(`batch ops must be an array, got ${describe(ops)}`);
      if (ops.length === 0) return Promise.resolve([]);
      const wire: unknown[] = new Array(ops.length);
      for (let i = 0; i < ops.length; i++) {
        const o = ops[i];
        if (o && o.op === 'set') {
          checkKey(o.key, this.limits);
          wire[i] = [WriteKind.SET, o.key, this.toBytes(o.value)];
        } else if (o && o.op === 'del') {
          checkKey(o.key, this.limits);
          wire[i] = [WriteKind.DEL, o.key];
        } else {
          throw KvndbError.badRequest(`batch op ${i} must be {op: 'set', key, value} or {op: 'del', key}`);
        }
      }
      return this.request(Op.BATCH, Kind.WRITE_RESULTS, false, [Op.BATCH, 0, wire]) as Promise<WriteResult[]>;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Round trip to the router. */
  ping(): Promise<void> {
    try {
      return this.request(Op.PING, Kind.PONG, true, [Op.PING, 0]) as Promise<void>;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** The router's status: epoch, seq, replicas, rates. */
  status(): Promise<RouterStatus> {
    try {
      return this.request(Op.STATUS, Kind.STATUS, true, [Op.STATUS, 0]) as Promise<RouterStatus>;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Close the connection; requests still waiting or in flight fail with CONNECTION_CLOSED. */
  async close(): Promise<void> {
    const err = KvndbError.connectionClosed('client closed');
    if (!this.closed) {
      this.closed = true;
      this.reconnector.stop(err);
      this.queue.flushAll(err);
      this.opening?.close(err);
      this.opening = null;
    }
    const conn = this.conn;
    if (conn) {
      this.conn = null;
      conn.close(err);
      const socket = conn.socket;
      if (!socket.closed) await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    }
  }

  // ---- internals ----

  private mgetAs(keys: string[], kind: number): Promise<unknown> {
    try {
      if (!Array.isArray(keys)) throw KvndbError.badRequest(`mget keys must be an array, got ${describe(keys)}`);
      if (keys.length === 0) return Promise.resolve([]);
      for (let i = 0; i < keys.length; i++) checkKey(keys[i], this.limits);
      return this.request(Op.MGET, kind, true, [Op.MGET, 0, keys]);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private setMessage(key: string, value: Value, options: SetOptions | undefined, get: boolean): unknown[] {
    checkKey(key, this.limits);
    const bytes = this.toBytes(value);
    let flags: { nx?: true; xx?: true; get?: true } | null = null;
    if (options !== undefined && options !== null) {
      if (typeof options !== 'object') throw KvndbError.badRequest(`set options must be an object, got ${describe(options)}`);
      if (options.nx && options.xx) throw KvndbError.badRequest('nx and xx cannot both be set');
      if (options.nx) flags = { nx: true };
      else if (options.xx) flags = { xx: true };
    }
    if (get) flags = flags ? { ...flags, get: true } : { get: true };
    return [Op.SET, 0, key, bytes, flags];
  }

  private toBytes(value: Value): Uint8Array {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    checkValue(bytes, this.limits);
    return bytes;
  }

  /**
   * Queue one request. `msg[1]` is a placeholder for the id. Throws (the public methods turn
   * it into a rejection) for a frame over the limit or when the request cannot be queued.
   */
  private request(op: number, kind: number, retryable: boolean, msg: unknown[]): Promise<unknown> {
    if (this.closed) throw KvndbError.connectionClosed('client closed');
    if (this.fatal) throw this.fatal;
    const conn = this.conn;
    if (conn === null && !this.reconnecting) throw KvndbError.connectionClosed(`not connected to ${this.endpoint}`);
    const id = this.queue.allocateId();
    msg[1] = id;
    const cmd = new Command(id, op, kind, encodeFrame(msg, this.limits.maxFrameBytes), retryable, this.queue.deadline());
    const promise = new Promise<unknown>((resolve, reject) => {
      cmd.resolve = resolve;
      cmd.reject = reject;
    });
    if (conn !== null) {
      this.queue.addSent(cmd);
      conn.sendFrame(cmd.frame);
    } else {
      this.queue.addWaiting(cmd);
    }
    return promise;
  }

  /** Dial and run the handshake; the connection is returned unadopted. */
  private async handshake(): Promise<[FramedConnection, WelcomeInfo]> {
    const o = this.options;
    const link = await o.transport.dial(o.connectTimeoutMs);
    const conn = new FramedConnection(link.stream, { address: link.address });
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
      if (cmd === undefined) return; // timed out already, or an id we never sent
      let value: unknown;
      try {
        value = convert(cmd.kind, msg[2]);
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
      this.queue.flushAll(KvndbError.connectionClosed(`connection to ${this.endpoint} lost and reconnect is off`, cause));
      this.emit('disconnect', cause);
      return;
    }
    // Set before 'disconnect' so a request made from a listener waits for the new connection.
    this.reconnecting = true;
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
        if (this.listenerCount('error') > 0) this.emit('error', fatal);
      });
  }
}

interface ResolvedOptions {
  transport: Transport;
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
}

function resolveOptions(o: ConnectOptions): ResolvedOptions {
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
    transport: o.transport ?? socketTransport({ host, port, type, tls }),
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

function positiveOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && value > 0 ? value : fallback;
}

function formatEndpoint(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Decoded `bin` values are views into the socket chunk they arrived in. A small value kept
 * by the application would pin the whole chunk, so those are copied; a view that covers
 * most of its memory (a large value) is handed out as is.
 */
function ownBytes(v: Uint8Array): Buffer {
  if (v.byteLength * 2 < v.buffer.byteLength) return Buffer.from(v);
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function badAnswer(what: string, v: unknown): KvndbError {
  return KvndbError.protocol(`router answered ${what} with ${describe(v)}`);
}

function toStringOrNull(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) return Buffer.isBuffer(v) ? v.toString('utf8') : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  throw badAnswer('a read', v);
}

function toBufferOrNull(v: unknown): Buffer | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) return ownBytes(v);
  throw badAnswer('a read', v);
}

function toWriteResult(v: unknown): WriteResult {
  if (typeof v === 'boolean') return v;
  if (Array.isArray(v) && typeof v[0] === 'boolean') return [v[0], toBufferOrNull(v[1])];
  throw badAnswer('a write', v);
}

/** Turn a RESULT value into what the method promised. Throws PROTOCOL_ERROR on a wrong shape. */
function convert(kind: number, v: unknown): unknown {
  switch (kind) {
    case Kind.STRING:
      return toStringOrNull(v);
    case Kind.BUFFER:
      return toBufferOrNull(v);
    case Kind.BOOL:
      if (typeof v !== 'boolean') throw badAnswer('a request', v);
      return v;
    case Kind.STRINGS:
      if (!Array.isArray(v)) throw badAnswer('MGET', v);
      return v.map(toStringOrNull);
    case Kind.BUFFERS:
      if (!Array.isArray(v)) throw badAnswer('MGET', v);
      return v.map(toBufferOrNull);
    case Kind.KEYS_PAGE: {
      if (!Array.isArray(v) || !Array.isArray(v[0])) throw badAnswer('KEYS', v);
      const cursor = v[1];
      if (cursor !== null && cursor !== undefined && typeof cursor !== 'string') throw badAnswer('KEYS', v);
      return { keys: v[0] as string[], cursor: cursor ?? null };
    }
    case Kind.SET_GET: {
      const r = toWriteResult(v);
      return Array.isArray(r) ? r[1] : null;
    }
    case Kind.VOID:
      return undefined;
    case Kind.WRITE_RESULTS:
      if (!Array.isArray(v)) throw badAnswer('BATCH', v);
      return v.map(toWriteResult);
    case Kind.PONG:
      return undefined;
    case Kind.STATUS:
      if (v === null || typeof v !== 'object') throw badAnswer('STATUS', v);
      return v;
    default:
      throw new KvndbError(ErrorCode.INTERNAL, `unknown result kind ${kind}`);
  }
}

/** Connect to a router. Resolves after the first successful handshake. */
export async function connect(options: ConnectOptions = {}): Promise<KvndbClient> {
  const client = new KvndbClient(options);
  return client.open();
}
