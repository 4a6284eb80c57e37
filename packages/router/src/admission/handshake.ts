import {
  KvndbError,
  Op,
  PROTOCOL_VERSION,
  makeNonce,
  verifyProof,
  type FramedConnection,
  type Logger,
  type ReplicaHelloInfo,
  type Role,
} from '@kvndb/shared';
import type { AuthThrottle } from './auth-throttle';

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Incoming frame limit until the handshake succeeds. HELLO and AUTH are well under 1 KiB
 * (a replica name is at most 256 characters); 16 KiB is Redis's cap on an unauthenticated
 * bulk string. A peer without the password can make the router hold at most this much (plus
 * one socket read) however big a length prefix it sends; WELCOME raises the limit to the
 * configured --max-frame.
 */
export const PRE_LOGIN_MAX_FRAME_BYTES = 16 * 1024;

/** What a Redis client (or any text protocol) gets when it reaches the native port. */
export const NOT_RESP_REPLY =
  "-ERR this is the kvndb native protocol port; Redis clients (redis-cli, RESP) connect to the router's --resp-port\r\n";

export type HandshakeResult =
  | { role: 'client'; name: string | undefined }
  | { role: 'replica'; info: ReplicaHelloInfo };

export interface ServerHandshakeOptions {
  /** The peer's IP address, which the auth throttle counts by; default the connection's address. */
  remoteHost?: string;
  clientSecret: string;
  replicaSecret: string;
  timeoutMs: number;
  throttle: AuthThrottle;
  logger: Logger;
  /** WELCOME info, computed when it is sent (epoch and seq move). */
  welcomeInfo: () => Record<string, unknown>;
  /** Called right after WELCOME was queued; install the session's onMessage here. */
  onReady: (result: HandshakeResult) => void;
}

const enum Stage {
  AwaitHello,
  AwaitAuth,
  Failing,
  Done,
}

/**
 * The router's side of HELLO -> CHALLENGE -> AUTH -> WELCOME for one connection. Nothing
 * but the handshake is accepted before WELCOME; a version mismatch is refused naming both
 * versions; a wrong proof is answered AUTH_FAILED only after the throttle's delay.
 */
export class ServerHandshake {
  private stage = Stage.AwaitHello;
  private role: Role = 'client';
  private nonce: Buffer | undefined;
  private hello: HandshakeResult | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failTimer: NodeJS.Timeout | undefined;
  /** Counted in the throttle's pending failures until answered or closed. */
  private pendingFailure = false;
  private readonly ip: string;
  /** The connection's configured frame limit, restored at WELCOME. */
  private readonly loginFrameBytes: number;

  constructor(
    private readonly conn: FramedConnection,
    private readonly options: ServerHandshakeOptions,
  ) {
    this.ip = options.remoteHost ?? conn.address;
    this.loginFrameBytes = conn.maxFrameBytes;
    conn.setIncomingFrameLimit(Math.min(PRE_LOGIN_MAX_FRAME_BYTES, conn.maxFrameBytes), ' before authentication');
    // Runs before the frame decoder sees the first bytes.
    conn.onFirstChunk((chunk) => this.sniff(chunk));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stage === Stage.Done || this.stage === Stage.Failing) return;
      this.options.logger.warn(`handshake from ${conn.address} timed out`);
      this.refuse(KvndbError.timeout(`handshake did not finish within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    conn.onMessage = (msg) => this.onMessage(msg);
    conn.once('close', () => this.cancel());
  }

  /** Stop timers (connection closed or router stopping). */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.failTimer) clearTimeout(this.failTimer);
    this.timer = this.failTimer = undefined;
    if (this.pendingFailure) {
      this.pendingFailure = false;
      this.options.throttle.pendingEnd(this.ip);
    }
  }

  /** Router stopping: refuse a handshake in progress with `err`. */
  abort(err: KvndbError): void {
    if (this.stage === Stage.Done) return;
    if (this.stage === Stage.Failing) {
      // Already answering (or waiting out the AUTH_FAILED delay): just close.
      this.cancel();
      this.conn.close(err);
      return;
    }
    this.refuse(err);
  }

  /**
   * Every kvndb frame a peer may send first starts with a 0 byte (a length prefix below 16
   * MiB). Printable text instead is a Redis client (`*1\r\n$4\r\nPING`, or an inline
   * command) or some other text protocol on the wrong port: it gets one RESP error line it
   * can show, rather than a MessagePack frame it cannot read.
   */
  private sniff(chunk: Buffer): void {
    if (this.stage !== Stage.AwaitHello || chunk.length === 0 || chunk[0] < 0x20 || chunk[0] > 0x7e) return;
    this.stage = Stage.Failing;
    this.cancel();
    this.options.logger.warn(`refused ${this.conn.address}: it speaks a text protocol (Redis?) on the native port`);
    this.conn.sendRawAndClose(
      Buffer.from(NOT_RESP_REPLY),
      KvndbError.protocol('the peer speaks a text protocol (Redis?) on the native port'),
    );
  }

  get done(): boolean {
    return this.stage === Stage.Done;
  }

  private onMessage(msg: unknown): void {
    try {
      this.handle(msg);
    } catch (err) {
      this.options.logger.error(`handshake with ${this.conn.address} failed: ${(err as Error).message}`);
      this.refuse(err instanceof KvndbError ? err : KvndbError.protocol(`handshake failed: ${(err as Error).message}`));
    }
  }

  private handle(msg: unknown): void {
    if (this.stage === Stage.Failing || this.stage === Stage.Done) return;
    if (!Array.isArray(msg)) return this.refuse(KvndbError.protocol('handshake message is not an array'));
    if (this.stage === Stage.AwaitHello) {
      if (msg[0] !== Op.HELLO) return this.refuse(KvndbError.protocol(`expected HELLO, got opcode ${String(msg[0])}`));
      if (msg[1] !== PROTOCOL_VERSION) {
        this.options.logger.warn(`refused ${this.conn.address}: protocol version ${String(msg[1])}, this router speaks ${PROTOCOL_VERSION}`);
        return this.refuse(KvndbError.versionMismatch(PROTOCOL_VERSION, msg[1]));
      }
      if (msg.length !== 4) return this.refuse(KvndbError.protocol('HELLO is [HELLO, version, role, info]'));
      this.hello = parseHello(msg[2], msg[3]);
      this.role = this.hello.role;
      this.nonce = makeNonce();
      this.stage = Stage.AwaitAuth;
      this.conn.send([Op.CHALLENGE, PROTOCOL_VERSION, this.nonce]);
      return;
    }
    // AwaitAuth
    if (msg[0] !== Op.AUTH || msg.length !== 2) return this.refuse(KvndbError.protocol(`expected AUTH, got opcode ${String(msg[0])}`));
    const secret = this.role === 'replica' ? this.options.replicaSecret : this.options.clientSecret;
    if (secret !== '' && !verifyProof(secret, this.role, this.nonce as Buffer, msg[1])) {
      this.stage = Stage.Failing;
      const delay = this.options.throttle.fail(this.ip);
      this.options.logger.warn(
        `authentication failed for ${this.role} from ${this.conn.address} (${this.options.throttle.count(this.ip)} recent failures; answering in ${delay} ms)`,
      );
      this.options.throttle.pendingStart(this.ip);
      this.pendingFailure = true;
      this.failTimer = setTimeout(() => {
        this.failTimer = undefined;
        this.cancel();
        this.conn.sendErrorAndClose(KvndbError.authFailed());
      }, delay);
      return;
    }
    if (secret !== '') this.options.throttle.succeed(this.ip);
    this.stage = Stage.Done;
    this.cancel();
    // Logged in: frames up to the configured limit from the next one on (same chunk included).
    this.conn.setIncomingFrameLimit(this.loginFrameBytes);
    this.conn.send([Op.WELCOME, this.options.welcomeInfo()]);
    this.options.onReady(this.hello as HandshakeResult);
  }

  private refuse(err: KvndbError): void {
    this.stage = Stage.Failing;
    this.cancel();
    this.conn.sendErrorAndClose(err);
  }
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Checks the HELLO role and info; throws PROTOCOL_ERROR naming what is wrong. */
export function parseHello(role: unknown, info: unknown): HandshakeResult {
  if (role !== 'client' && role !== 'replica') {
    throw KvndbError.protocol(`HELLO role must be "client" or "replica", got ${JSON.stringify(String(role))}`);
  }
  const map = info === null || info === undefined ? {} : info;
  if (typeof map !== 'object' || Array.isArray(map) || map instanceof Uint8Array) throw KvndbError.protocol('HELLO info must be a map');
  const m = map as Record<string, unknown>;
  if (role === 'client') {
    if (m.name !== undefined && m.name !== null && typeof m.name !== 'string') throw KvndbError.protocol('HELLO info.name must be a string');
    return { role, name: typeof m.name === 'string' ? m.name : undefined };
  }
  if (typeof m.name !== 'string' || m.name.length === 0 || m.name.length > 256) {
    throw KvndbError.protocol('replica HELLO needs info.name, a string of 1 to 256 characters');
  }
  if (!isCount(m.epoch) || !isCount(m.seq)) throw KvndbError.protocol('replica HELLO needs info.epoch and info.seq, non-negative integers');
  if (m.reset !== undefined && m.reset !== null && typeof m.reset !== 'boolean') throw KvndbError.protocol('replica HELLO info.reset must be a boolean');
  for (const f of ['time', 'nextExpiry'] as const) {
    if (m[f] !== undefined && m[f] !== null && !isCount(m[f])) throw KvndbError.protocol(`replica HELLO info.${f} must be a non-negative integer`);
  }
  return {
    role,
    info: {
      name: m.name,
      epoch: m.epoch,
      seq: m.seq,
      reset: m.reset === true,
      time: (m.time as number | undefined) ?? 0,
      nextExpiry: (m.nextExpiry as number | undefined) ?? 0,
    },
  };
}
