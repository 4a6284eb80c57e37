import { isUtf8 } from 'node:buffer';
import type net from 'node:net';
import {
  DEFAULT_LIMITS,
  ErrorCode,
  KVNDB_VERSION,
  KvndbError,
  Op,
  describeAddress,
  listen,
  silentLogger,
  type Endpoint,
  type Limits,
  type Logger,
  type RouterStatus,
} from '@kvndb/shared';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { ReplySink } from '../requests/reply-sink';
import { RespParser } from './resp-parser';
import * as R from './resp-encoder';
import { globToRegExp, literalPrefix } from './glob';

/** What the RESP front door needs from the router: the same dispatch native clients use. */
export interface RespBackend {
  dispatch(op: number, args: unknown[], done: (err: KvndbError | null, value?: unknown) => void): void;
  /** The same, answering through a sink: `msg` is [op, 0, ...args], the answer goes to sink.reply(tag, ...). */
  execute(msg: unknown[], sink: ReplySink, tag: number): void;
  status(): RouterStatus;
}

export interface RespServerOptions extends Endpoint {
  /** The client password; AUTH must match it when set. */
  password?: string;
  limits?: Partial<Limits>;
  /** KEYS refuses to build a reply larger than this many keys (use SCAN). */
  maxKeysReply?: number;
  maxConnections?: number;
  /** With a password: ms a new connection has to AUTH before it is closed (default 10000). */
  handshakeTimeoutMs?: number;
  /** ms one command may take to arrive once it has started (slowloris); 0 = never (default 30000). */
  frameTimeoutMs?: number;
  /** ms a connection may send nothing, with no reply owed, before it is closed; 0 = never (default). */
  idleTimeoutMs?: number;
  logger?: Logger;
}

type Done = (reply: Buffer) => void;
type Handler = (s: RespSession, args: Buffer[], done: Done) => void;

const MAX_PENDING_PER_CONNECTION = 10000;
/**
 * Before AUTH (with a password set), as Redis does since CVE-2021-32675: a command may have
 * at most 10 arguments of at most 16384 bytes, so an unauthenticated connection can make
 * the router buffer about 160 KiB (plus the 64 KiB inline limit), never --max-value.
 */
export const PRE_AUTH_MAX_ARGS = 10;
export const PRE_AUTH_MAX_BULK_BYTES = 16384;
/** A native kvndb client on this port: the first byte of its HELLO frame's length prefix is 0. */
const NATIVE_ON_RESP_PORT =
  "this is kvndb's Redis-protocol (RESP) port; native kvndb clients (@kvndb/client, kvndb cmd, replicas) connect to the router's main port";
const OUTPUT_HIGH_WATER = 8 * 1024 * 1024;
/** After the last reply to a closing connection, how long before it is destroyed if the peer has not closed. */
const CLOSE_GRACE_MS = 2000;
/** Once closing, bytes still read (and dropped) before the socket stops being read. */
const DISCARD_LIMIT = 64 * 1024;
/** How often connections are checked against the timeouts. */
const TIMEOUT_CHECK_MS = 1000;

interface RespTimeouts {
  handshakeMs: number;
  frameMs: number;
  idleMs: number;
}

/**
 * The Redis protocol front door: redis-cli, redis-benchmark and Redis client libraries talk
 * to the router through it. Commands map onto the router's own dispatch, so ordering,
 * write-ack and errors are exactly those of the native protocol.
 */
export class RespServer {
  private server: net.Server | null = null;
  private readonly sessions = new Set<RespSession>();
  readonly logger: Logger;
  readonly limits: Limits;
  readonly maxKeysReply: number;
  readonly timeouts: RespTimeouts;
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly backend: RespBackend, readonly options: RespServerOptions) {
    this.logger = options.logger ?? silentLogger();
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.maxKeysReply = options.maxKeysReply ?? 100000;
    this.timeouts = {
      handshakeMs: options.handshakeTimeoutMs ?? 10_000,
      frameMs: options.frameTimeoutMs ?? 30_000,
      idleMs: options.idleTimeoutMs ?? 0,
    };
  }

  async start(): Promise<void> {
    this.server = await listen(this.options, (socket) => this.accept(socket));
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const s of this.sessions) s.checkTimeouts(now);
    }, TIMEOUT_CHECK_MS);
    this.timer.unref();
    const a = this.address;
    this.logger.info(`RESP (Redis protocol) listening on ${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`);
  }

  get address(): { host: string; port: number } {
    const a = this.server?.address();
    if (a && typeof a === 'object') return { host: a.address, port: a.port };
    return { host: this.options.host, port: this.options.port };
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const s of this.sessions) s.socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  checkPassword(given: Buffer): boolean {
    const want = this.options.password ?? '';
    // Compare digests so the comparison is constant-time whatever the lengths.
    const a = createHash('sha256').update(given).digest();
    const b = createHash('sha256').update(want).digest();
    return timingSafeEqual(a, b);
  }

  private accept(socket: net.Socket): void {
    if (this.options.maxConnections && this.sessions.size >= this.options.maxConnections) {
      socket.end(R.error('ERR max number of clients reached'));
      return;
    }
    socket.setNoDelay(true);
    const session = new RespSession(this, socket);
    this.sessions.add(session);
    socket.on('close', () => this.sessions.delete(session));
  }
}

/** How reply() turns a router result into RESP for a fast-path command. */
const SHAPE_DONE = 0; // answered through a handler's Done callback instead
const SHAPE_BULK = 1; // GET: the value or nil
const SHAPE_SET = 2; // plain SET: +OK

const OUT_INITIAL_BYTES = 16 * 1024;

/**
 * One RESP connection. Replies leave in request order even when the router answers out of
 * order (reads on different replicas); everything answered in one event-loop turn leaves in
 * one socket write. GET and SET, the commands every benchmark and cache hammers, skip the
 * generic handler table: the session is itself the router's ReplySink (the slot number is
 * the tag), so a request allocates no callbacks, and an in-order GET reply is encoded
 * straight into the output buffer.
 */
class RespSession implements ReplySink {
  authed: boolean;
  private readonly parser: RespParser;
  private firstChunk = true;
  /** Bytes received and dropped since closing. */
  private discarded = 0;
  /** Slot number of replies[0], the oldest command whose reply is not written yet. */
  private head = 0;
  /** Replies from `head` on, in request order; undefined = still being worked on. */
  private replies: Array<Buffer | undefined> = [];
  /** Per slot, how reply() encodes the router's answer (SHAPE_*). */
  private shapes: number[] = [];
  private out: Buffer = Buffer.allocUnsafe(OUT_INITIAL_BYTES);
  private outLen = 0;
  private flushScheduled = false;
  private closing = false;
  readonly address: string;
  private readonly openedAt = Date.now();
  /** Commands received, and the count and time at the last timeout check that saw it move. */
  private commands = 0;
  private commandsAtCheck = 0;
  private activeAt = Date.now();
  /** When the unfinished command now in the parser started arriving (0 = none). */
  private partialSince = 0;

  constructor(readonly server: RespServer, readonly socket: net.Socket) {
    this.authed = !server.options.password;
    this.address = describeAddress(socket);
    this.parser = new RespParser({
      maxBulkBytes: server.limits.maxValueBytes,
      maxArgs: 1024 * 1024,
      maxInlineBytes: 64 * 1024,
      preLogin: this.authed ? undefined : { maxArgs: PRE_AUTH_MAX_ARGS, maxBulkBytes: PRE_AUTH_MAX_BULK_BYTES },
      onCommand: (args) => this.command(args),
      onGet: (data, start, end) => this.fastGetOrSet(data, start, end, undefined),
      onSet: (data, start, end, value) => this.fastGetOrSet(data, start, end, value),
      // The stream can no longer be trusted: answer in turn, after every earlier reply (as
      // Redis does), then close; nothing after the error is read (the parser has stopped).
      onError: (message) => {
        if (this.closing) return; // after QUIT nothing more is answered
        this.errorThenClose(message);
      },
    });
    socket.on('data', (chunk: Buffer) => {
      // Once closing nothing more is parsed. A peer still sending past DISCARD_LIMIT (a
      // refused huge bulk) stops being read from: its bytes wait in the kernel, TCP flow
      // control stalls it, it can still read the error, and the connection is destroyed
      // CLOSE_GRACE_MS after the last reply. A little more is read and dropped, so a peer
      // that closes at once is still seen closing.
      if (this.closing) {
        this.discarded += chunk.length;
        if (this.discarded > DISCARD_LIMIT) socket.pause();
        return;
      }
      if (this.firstChunk) {
        this.firstChunk = false;
        if (chunk[0] === 0) {
          this.server.logger.warn(`RESP client ${this.address}: sent a native kvndb frame to the RESP port: closing it`);
          this.errorThenClose(NATIVE_ON_RESP_PORT);
          return;
        }
      }
      this.parser.write(chunk);
      if (this.parser.bufferedBytes === 0) this.partialSince = 0;
      else if (this.partialSince === 0) this.partialSince = Date.now();
    });
    socket.on('drain', () => {
      if (!this.closing) socket.resume();
    });
    socket.on('error', () => socket.destroy());
  }

  /**
   * Called about once a second: closes a connection that has not authenticated within the
   * handshake timeout, has been sending one command for longer than the frame timeout
   * (slowloris), or has been idle, owed nothing, past the idle timeout (Redis's `timeout`).
   */
  checkTimeouts(now: number): void {
    if (this.closing || this.socket.destroyed) return;
    const t = this.server.timeouts;
    if (this.commands !== this.commandsAtCheck) {
      this.commandsAtCheck = this.commands;
      this.activeAt = now;
    }
    let reason: string | null = null;
    if (!this.authed && t.handshakeMs > 0 && now - this.openedAt > t.handshakeMs) {
      reason = `not authenticated within ${t.handshakeMs} ms`;
    } else if (t.frameMs > 0 && this.partialSince !== 0 && !this.socket.isPaused() && now - this.partialSince > t.frameMs) {
      reason = `a command took more than ${t.frameMs} ms to arrive`;
    } else if (t.idleMs > 0 && this.replies.length === 0 && now - this.activeAt > t.idleMs) {
      // Redis closes idle clients without a word; clients reconnect.
      this.server.logger.debug(`RESP client ${this.address} idle for more than ${t.idleMs} ms: closing it`);
      this.socket.destroy();
      return;
    }
    if (reason === null) return;
    this.server.logger.warn(`RESP client ${this.address}: ${reason}: closing it`);
    this.errorThenClose(reason);
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  /** The connection authenticated (AUTH or HELLO ... AUTH): the configured limits apply. */
  login(): void {
    this.authed = true;
    this.parser.login();
  }

  /** `-ERR message` in turn, after every earlier reply (as Redis does), then the connection closes. */
  private errorThenClose(message: string): void {
    const slot = this.reserve(SHAPE_DONE);
    this.closing = true;
    this.fill(slot, R.error(`ERR ${message}`));
  }

  private command(args: Buffer[]): void {
    this.commands++;
    if (this.closing || args.length === 0) return;
    const a0 = args[0];
    const name = a0.toString('latin1').toLowerCase();
    const slot = this.reserve(SHAPE_DONE);
    const done: Done = (reply) => this.fill(slot, reply);
    // QUIT: answer it, then close once every earlier reply has been written.
    if (name === 'quit') this.closing = true;
    if (!this.authed && !PRE_AUTH.has(name)) {
      done(R.error('NOAUTH Authentication required.'));
      return;
    }
    const handler = COMMANDS[name];
    if (!handler) {
      const shown = args
        .slice(1, 4)
        .map((a) => `'${a.toString('utf8').slice(0, 64)}'`)
        .join(' ');
      done(R.error(`ERR unknown command '${a0.toString('utf8').slice(0, 128)}', with args beginning with: ${shown}`));
      return;
    }
    try {
      handler(this, args, done);
    } catch (err) {
      done(errorReply(err));
    }
  }

  /**
   * The parser's fast path: GET KEY (no value) or SET KEY VALUE, the key being bytes
   * start..end of data. The key is checked here, the rest by the router. Before AUTH, or
   * once closing, the command goes the generic way (false).
   */
  private fastGetOrSet(data: Buffer, start: number, end: number, value: Buffer | undefined): boolean {
    if (!this.authed || this.closing) return false;
    this.commands++;
    const slot = this.reserve(value === undefined ? SHAPE_BULK : SHAPE_SET);
    let k: string;
    try {
      k = keyIn(data, start, end);
    } catch (err) {
      this.fill(slot, errorReply(err));
      return true;
    }
    if (value === undefined) this.server.backend.execute([Op.GET, 0, k], this, slot);
    else this.server.backend.execute([Op.SET, 0, k, value], this, slot);
    return true;
  }

  /** Take the next reply slot. */
  private reserve(shape: number): number {
    const slot = this.head + this.replies.length;
    this.replies.push(undefined);
    this.shapes.push(shape);
    if (this.replies.length > MAX_PENDING_PER_CONNECTION) this.socket.pause();
    return slot;
  }

  /** ReplySink: the router's answer to a fast-path command; `tag` is its slot. */
  reply(tag: number, err: KvndbError | null, value?: unknown): void {
    const i = tag - this.head;
    if (i < 0 || i >= this.replies.length) return;
    if (err) {
      this.fill(tag, errorReply(err));
    } else if (this.shapes[i] === SHAPE_BULK) {
      const body = value as Uint8Array | null;
      if (i !== 0 || body === null) {
        this.fill(tag, R.bulk(body));
        return;
      }
      this.reserveOut(R.bulkSize(body.length));
      this.outLen = R.writeBulk(this.out, this.outLen, body);
      this.advance();
    } else {
      this.fill(tag, value === false ? R.NULL_BULK : R.OK);
    }
  }

  private fill(slot: number, reply: Buffer): void {
    const i = slot - this.head;
    if (i < 0 || i >= this.replies.length) return;
    if (i !== 0) {
      this.replies[i] = reply;
      return;
    }
    this.append(reply);
    this.advance();
  }

  /** The head reply was written: write every reply after it that is ready too. */
  private advance(): void {
    const replies = this.replies;
    replies.shift();
    this.shapes.shift();
    this.head++;
    while (replies.length > 0 && replies[0] !== undefined) {
      this.append(replies.shift() as Buffer);
      this.shapes.shift();
      this.head++;
    }
    if (this.closing) {
      if (replies.length > 0) return;
      this.flush();
      this.socket.end();
      // A peer that neither closes nor reads must not keep the socket open.
      setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
    } else if (replies.length <= MAX_PENDING_PER_CONNECTION && !this.socket.writableNeedDrain) {
      this.socket.resume();
    }
  }

  private reserveOut(bytes: number): void {
    const need = this.outLen + bytes;
    if (need > this.out.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.out.length * 2));
      this.out.copy(bigger, 0, 0, this.outLen);
      this.out = bigger;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flush);
    }
  }

  private append(buf: Uint8Array): void {
    this.reserveOut(buf.length);
    this.out.set(buf, this.outLen);
    this.outLen += buf.length;
  }

  private flush = (): void => {
    this.flushScheduled = false;
    if (this.outLen === 0 || this.socket.destroyed) return;
    // The socket keeps what it is given until written: hand it a copy and keep the buffer.
    const data = Buffer.allocUnsafe(this.outLen);
    this.out.copy(data, 0, 0, this.outLen);
    this.outLen = 0;
    if (this.out.length > 4 * OUT_INITIAL_BYTES) this.out = Buffer.allocUnsafe(OUT_INITIAL_BYTES);
    // A client that does not read its replies stops being read from: bounded buffering.
    if (!this.socket.write(data) || this.socket.writableLength > OUTPUT_HIGH_WATER) this.socket.pause();
  };

  dispatch(op: number, args: unknown[], done: Done, map: (value: unknown) => Buffer): void {
    this.server.backend.dispatch(op, args, (err, value) => {
      if (err) done(errorReply(err));
      else {
        try {
          done(map(value));
        } catch (e) {
          done(errorReply(e));
        }
      }
    });
  }

  /** Runs one router request and resolves with its value (for multi-step commands). */
  request(op: number, args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.server.backend.dispatch(op, args, (err, value) => (err ? reject(err) : resolve(value)));
    });
  }
}

const PRE_AUTH = new Set(['auth', 'hello', 'quit', 'ping']);

function errorReply(err: unknown): Buffer {
  if (err instanceof KvndbError) return R.error(`${err.code} ${err.message}`);
  return R.error(`ERR ${err instanceof Error ? err.message : String(err)}`);
}

class RespArgError extends Error {}

function key(buf: Buffer): string {
  return keyIn(buf, 0, buf.length);
}

/** The key in bytes start..end of data, which must be UTF-8. */
function keyIn(data: Buffer, start: number, end: number): string {
  // Short ASCII keys (the usual case) are checked in JS: cheaper than a native isUtf8 call.
  if (end - start <= 64) {
    let i = start;
    while (i < end && data[i] < 0x80) i++;
    if (i === end) return data.toString('latin1', start, end);
  }
  const bytes = data.subarray(start, end);
  if (!isUtf8(bytes)) throw new KvndbError(ErrorCode.BAD_REQUEST, 'kvndb keys are UTF-8 strings; this key is not valid UTF-8');
  return bytes.toString('utf8');
}

function arity(args: Buffer[], min: number, max = Infinity): void {
  if (args.length < min || args.length > max) {
    throw new RespArgError(`ERR wrong number of arguments for '${args[0].toString().toLowerCase()}' command`);
  }
}

function withArity(min: number, max: number, handler: Handler): Handler {
  return (s, args, done) => {
    try {
      arity(args, min, max);
    } catch (err) {
      done(R.error((err as Error).message));
      return;
    }
    handler(s, args, done);
  };
}

const toBulk = (v: unknown): Buffer => R.bulk(v as Uint8Array | null);

const COMMANDS: Record<string, Handler> = {
  ping: withArity(1, 2, (_s, args, done) => done(args.length === 2 ? R.bulk(args[1]) : R.PONG)),
  echo: withArity(2, 2, (_s, args, done) => done(R.bulk(args[1]))),
  quit: (_s, _args, done) => done(R.OK),
  select: withArity(2, 2, (_s, args, done) =>
    done(args[1].toString() === '0' ? R.OK : R.error('ERR DB index is out of range (kvndb has one keyspace)')),
  ),
  auth: withArity(2, 3, (s, args, done) => {
    const pass = args[args.length - 1];
    if (args.length === 3 && args[1].toString() !== 'default') {
      done(R.error('WRONGPASS invalid username-password pair or user is disabled.'));
      return;
    }
    if (!s.server.options.password) {
      done(R.error('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?'));
      return;
    }
    if (s.server.checkPassword(pass)) {
      s.login();
      done(R.OK);
    } else {
      s.server.logger.warn(`RESP authentication failed from ${s.address}`);
      // Delay the refusal, as the native handshake does, to slow down guessing.
      setTimeout(() => done(R.error('WRONGPASS invalid username-password pair or user is disabled.')), 200);
    }
  }),
  hello: (s, args, done) => {
    let i = 1;
    if (args.length > 1) {
      const proto = Number(args[1].toString());
      if (proto !== 2) {
        done(R.error('NOPROTO this server does not support the requested protocol version (kvndb speaks RESP2)'));
        return;
      }
      i = 2;
    }
    for (; i < args.length; i++) {
      const opt = args[i].toString().toLowerCase();
      if (opt === 'auth' && i + 2 < args.length) {
        if (!s.server.checkPassword(args[i + 2]) && s.server.options.password) {
          done(R.error('WRONGPASS invalid username-password pair or user is disabled.'));
          return;
        }
        s.login();
        i += 2;
      } else if (opt === 'setname' && i + 1 < args.length) {
        i += 1;
      } else {
        done(R.error(`ERR Syntax error in HELLO option '${opt}'`));
        return;
      }
    }
    if (!s.authed) {
      done(R.error('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time'));
      return;
    }
    done(R.array(['server', 'kvndb', 'version', KVNDB_VERSION, 'proto', 2, 'id', 1, 'mode', 'standalone', 'role', 'master', 'modules', []]));
  },
  command: (_s, args, done) => {
    const sub = args[1]?.toString().toLowerCase();
    if (sub === 'count') done(R.integer(Object.keys(COMMANDS).length));
    else done(R.EMPTY_ARRAY);
  },
  config: withArity(2, Infinity, (_s, args, done) => {
    const sub = args[1].toString().toLowerCase();
    if (sub !== 'get') {
      done(R.error(`ERR kvndb does not support CONFIG ${sub.toUpperCase()}`));
      return;
    }
    const known: Record<string, string> = { save: '', appendonly: 'no', databases: '1' };
    const out: string[] = [];
    for (const p of args.slice(2)) {
      const name = p.toString().toLowerCase();
      if (name in known) out.push(name, known[name]);
    }
    done(R.array(out));
  }),
  client: withArity(2, Infinity, (_s, args, done) => {
    const sub = args[1].toString().toLowerCase();
    if (sub === 'setname' || sub === 'setinfo' || sub === 'no-evict' || sub === 'no-touch' || sub === 'reply') done(R.OK);
    else if (sub === 'getname') done(R.NULL_BULK);
    else if (sub === 'id') done(R.integer(1));
    else done(R.error(`ERR kvndb does not support CLIENT ${sub.toUpperCase()}`));
  }),
  info: (s, _args, done) => {
    const st = s.server.backend.status();
    const lines = [
      '# Server',
      `redis_version:7.0.0`,
      `kvndb_version:${st.version}`,
      `uptime_in_seconds:${Math.floor(st.uptimeMs / 1000)}`,
      '# Clients',
      `connected_clients:${st.clients}`,
      '# Replication',
      'role:master',
      `kvndb_epoch:${st.epoch}`,
      `kvndb_seq:${st.seq}`,
      `kvndb_write_ack:${st.writeAck}`,
      `connected_slaves:${st.replicas.length}`,
      ...st.replicas.map((r, i) => `slave${i}:name=${r.name},state=${r.state},seq=${r.seq},lag=${r.lag}`),
      '# Stats',
      `kvndb_reads:${st.ops.reads}`,
      `kvndb_writes:${st.ops.writes}`,
      `instantaneous_ops_per_sec:${Math.round(st.ops.readsPerSec + st.ops.writesPerSec)}`,
    ];
    done(R.bulk(lines.join('\r\n') + '\r\n'));
  },
  get: withArity(2, 2, (s, args, done) => s.dispatch(Op.GET, [key(args[1])], done, toBulk)),
  set: withArity(3, Infinity, (s, args, done) => {
    const flags: { nx?: boolean; xx?: boolean; get?: boolean } = {};
    for (let i = 3; i < args.length; i++) {
      const opt = args[i].toString().toLowerCase();
      if (opt === 'nx') flags.nx = true;
      else if (opt === 'xx') flags.xx = true;
      else if (opt === 'get') flags.get = true;
      else if (opt === 'keepttl') continue;
      else if (opt === 'ex' || opt === 'px' || opt === 'exat' || opt === 'pxat') {
        done(R.error('ERR kvndb does not support key expiry (EX/PX/EXAT/PXAT)'));
        return;
      } else {
        done(R.error('ERR syntax error'));
        return;
      }
    }
    if (flags.nx && flags.xx) {
      done(R.error('ERR syntax error'));
      return;
    }
    const hasFlags = flags.nx || flags.xx || flags.get;
    s.dispatch(Op.SET, [key(args[1]), args[2], hasFlags ? flags : null], done, (result) => {
      if (flags.get) {
        const prev = Array.isArray(result) ? (result[1] as Uint8Array | null) : null;
        return R.bulk(prev);
      }
      const applied = Array.isArray(result) ? result[0] : result;
      return applied === false ? R.NULL_BULK : R.OK;
    });
  }),
  setnx: withArity(3, 3, (s, args, done) =>
    s.dispatch(Op.SET, [key(args[1]), args[2], { nx: true }], done, (r) => R.integer(r === false ? 0 : 1)),
  ),
  del: withArity(2, Infinity, (s, args, done) => deleteKeys(s, args, done)),
  unlink: withArity(2, Infinity, (s, args, done) => deleteKeys(s, args, done)),
  exists: withArity(2, Infinity, (s, args, done) => {
    const keys = args.slice(1).map(key);
    s.dispatch(Op.MGET, [keys], done, (values) => R.integer((values as unknown[]).filter((v) => v !== null && v !== undefined).length));
  }),
  mget: withArity(2, Infinity, (s, args, done) =>
    s.dispatch(Op.MGET, [args.slice(1).map(key)], done, (values) => R.array(values as Array<Uint8Array | null>)),
  ),
  mset: (s, args, done) => {
    if (args.length < 3 || args.length % 2 === 0) {
      done(R.error("ERR wrong number of arguments for 'mset' command"));
      return;
    }
    const entries: Array<[string, Buffer]> = [];
    for (let i = 1; i < args.length; i += 2) entries.push([key(args[i]), args[i + 1]]);
    s.dispatch(Op.MSET, [entries], done, () => R.OK);
  },
  keys: withArity(2, 2, (s, args, done) => {
    const pattern = args[1].toString('utf8');
    collectKeys(s, pattern, s.server.maxKeysReply).then(
      (keys) => done(R.array(keys)),
      (err) => done(errorReply(err)),
    );
  }),
  scan: withArity(2, Infinity, (s, args, done) => {
    let pattern = '*';
    let count = 10;
    for (let i = 2; i < args.length; i += 2) {
      const opt = args[i].toString().toLowerCase();
      const val = args[i + 1]?.toString();
      if (val === undefined) {
        done(R.error('ERR syntax error'));
        return;
      }
      if (opt === 'match') pattern = val;
      else if (opt === 'count') {
        count = Number(val);
        if (!Number.isInteger(count) || count < 1) {
          done(R.error('ERR value is not an integer or out of range'));
          return;
        }
      } else if (opt === 'type') continue;
      else {
        done(R.error('ERR syntax error'));
        return;
      }
    }
    const cursorArg = args[1].toString();
    let after: string | null = null;
    if (cursorArg !== '0') {
      after = Buffer.from(cursorArg, 'base64url').toString('utf8');
      if (!after) {
        done(R.error('ERR invalid cursor'));
        return;
      }
    }
    const prefix = literalPrefix(pattern);
    const re = globToRegExp(pattern);
    s.request(Op.KEYS, [prefix, Math.min(count, 10000), after]).then(
      (page) => {
        const [keys, next] = page as [string[], string | null];
        const cursor = next ? Buffer.from(next, 'utf8').toString('base64url') : '0';
        done(R.array([cursor, keys.filter((k) => re.test(k))]));
      },
      (err) => done(errorReply(err)),
    );
  }),
  dbsize: withArity(1, 1, (s, _args, done) => {
    countKeys(s).then(
      (n) => done(R.integer(n)),
      (err) => done(errorReply(err)),
    );
  }),
};

function deleteKeys(s: RespSession, args: Buffer[], done: Done): void {
  const ops = args.slice(1).map((a) => ['d', key(a)]);
  s.dispatch(Op.BATCH, [ops], done, (results) => R.integer((results as unknown[]).filter((r) => r === true).length));
}

async function collectKeys(s: RespSession, pattern: string, max: number): Promise<string[]> {
  const prefix = literalPrefix(pattern);
  const re = globToRegExp(pattern);
  const out: string[] = [];
  let cursor: string | null = null;
  do {
    const [keys, next] = (await s.request(Op.KEYS, [prefix, 10000, cursor])) as [string[], string | null];
    for (const k of keys) if (re.test(k)) out.push(k);
    if (out.length > max) {
      throw new KvndbError(ErrorCode.TOO_LARGE, `KEYS would return more than ${max} keys; use SCAN to page through them`);
    }
    cursor = next;
  } while (cursor);
  return out;
}

async function countKeys(s: RespSession): Promise<number> {
  let n = 0;
  let cursor: string | null = null;
  do {
    const [keys, next] = (await s.request(Op.KEYS, ['', 10000, cursor])) as [string[], string | null];
    n += keys.length;
    cursor = next;
  } while (cursor);
  return n;
}
