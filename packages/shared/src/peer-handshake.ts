import { computeProof } from './auth';
import type { FramedConnection } from './connection';
import { KvndbError } from './errors';
import { Op, PROTOCOL_VERSION, type Role } from './opcodes';

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
