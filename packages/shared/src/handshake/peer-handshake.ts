import { computeProof } from './auth';
import type { FramedConnection } from '../net/framed-connection';
import { KvndbError } from '../protocol/errors';
import { Op, PROTOCOL_VERSION, type Role } from '../protocol/opcodes';

export interface PeerHandshakeOptions {
  role: Role;
  /** The secret for this role; empty or undefined when the router has none. */
  secret?: string;
  /** Role-specific HELLO info (client: {name?}; replica: ReplicaHelloInfo). */
  info: Record<string, unknown>;
  timeoutMs?: number;
}

/** What the router says in WELCOME. */
export interface WelcomeInfo {
  version: string;
  epoch: number;
  seq: number;
  maxFrameBytes: number;
  maxKeyBytes: number;
  maxValueBytes: number;
  [extra: string]: unknown;
}

/**
 * The connecting side of the handshake (clients and replicas):
 * HELLO -> CHALLENGE -> AUTH -> WELCOME. Resolves with the router's WELCOME info;
 * rejects with the router's error (AUTH_FAILED, VERSION_MISMATCH, ...) or TIMEOUT.
 * Messages after WELCOME are held until the caller installs its onMessage, then delivered.
 */
export function peerHandshake(conn: FramedConnection, options: PeerHandshakeOptions): Promise<WelcomeInfo> {
  const timeoutMs = options.timeoutMs ?? 10000;
  return new Promise<WelcomeInfo>((resolve, reject) => {
    let done = false;
    const finish = (err: KvndbError | null, info?: WelcomeInfo) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      conn.off('close', onClose);
      if (err) {
        conn.onMessage = () => {};
        conn.close(err);
        reject(err);
      } else {
        // Whatever follows WELCOME in the same chunk waits for the caller's handler.
        conn.hold();
        resolve(info as WelcomeInfo);
      }
    };
    const onClose = (err?: KvndbError) =>
      finish(err ?? KvndbError.connectionClosed(`connection to ${conn.address} closed during the handshake`));
    const timer = setTimeout(
      () => finish(KvndbError.timeout(`handshake with ${conn.address} did not finish within ${timeoutMs} ms`)),
      timeoutMs,
    );
    conn.on('close', onClose);
    // Runs before the frame decoder: a router's first frame starts with a 0 byte (CHALLENGE
    // is tiny), so text means we reached something else, most likely a RESP port.
    conn.onFirstChunk((chunk) => {
      const foreign = foreignProtocol(chunk);
      if (foreign !== null) finish(KvndbError.protocol(`${conn.address} is not a kvndb router port: ${foreign}`));
    });
    conn.onMessage = (msg) => {
      if (!Array.isArray(msg)) return finish(KvndbError.protocol('handshake message is not an array'));
      switch (msg[0]) {
        case Op.CHALLENGE: {
          if (msg[1] !== PROTOCOL_VERSION) return finish(KvndbError.versionMismatch(PROTOCOL_VERSION, msg[1]));
          const nonce = msg[2];
          if (!(nonce instanceof Uint8Array)) return finish(KvndbError.protocol('CHALLENGE without a nonce'));
          conn.send([Op.AUTH, computeProof(options.secret ?? '', options.role, nonce)]);
          return;
        }
        case Op.WELCOME:
          return finish(null, (msg[1] ?? {}) as WelcomeInfo);
        case Op.ERROR:
          return finish(KvndbError.fromWire(msg[2], msg[3], msg[4]));
        default:
          return finish(KvndbError.protocol(`unexpected message ${String(msg[0])} during the handshake`));
      }
    };
    conn.send([Op.HELLO, PROTOCOL_VERSION, options.role, options.info]);
  });
}

/**
 * What the first bytes from the far end say when they are not a kvndb frame, or null.
 * A RESP server (the router's --resp-port, or Redis) answers the HELLO frame's bytes with
 * an error line such as `-ERR ...\r\n`.
 */
export function foreignProtocol(chunk: Buffer): string | null {
  if (chunk.length === 0 || chunk[0] === 0) return null;
  const end = chunk.indexOf(10);
  const line = chunk
    .subarray(0, Math.min(end < 0 ? chunk.length : end, 200))
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
  if (chunk[0] === 0x2d /* - */ || chunk[0] === 0x2b /* + */) {
    return `it answered in the Redis protocol (RESP): "${line}". That is a Redis-protocol port (the router's --resp-port, or a Redis server); connect to the router's main port instead`;
  }
  if (line.startsWith('HTTP/')) return `it answered in HTTP: "${line}"`;
  return `it answered with bytes that are not a kvndb frame: "${line}"`;
}
