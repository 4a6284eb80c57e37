/**
 * One error hierarchy for the whole system. `code` is stable and crosses the wire;
 * messages are for people. Server-reported errors are rebuilt on the client with
 * KvndbError.fromWire so `instanceof` and `code` checks work across the network.
 */
export const ErrorCode = {
  AUTH_FAILED: 'AUTH_FAILED',
  NO_REPLICAS: 'NO_REPLICAS',
  TIMEOUT: 'TIMEOUT',
  CONNECTION_CLOSED: 'CONNECTION_CLOSED',
  VERSION_MISMATCH: 'VERSION_MISMATCH',
  TOO_LARGE: 'TOO_LARGE',
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  PROTOCOL_ERROR: 'PROTOCOL_ERROR',
  BAD_REQUEST: 'BAD_REQUEST',
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  NOT_SUPPORTED: 'NOT_SUPPORTED',
  REPLICA_ERROR: 'REPLICA_ERROR',
  INTERNAL: 'INTERNAL',
  /** A write op on a key of the wrong kind (a queue where a string is needed, or the reverse). */
  WRONG_TYPE: 'WRONG_TYPE',
  /** A counter op on a value that is not a number, or a result out of range. */
  NOT_A_NUMBER: 'NOT_A_NUMBER',
  /** A counter would pass the 64-bit integer range. */
  OVERFLOW: 'OVERFLOW',
  /** RENAME of a key that does not exist. */
  NO_SUCH_KEY: 'NO_SUCH_KEY',
  /** LSET of an index outside the list. */
  OUT_OF_RANGE: 'OUT_OF_RANGE',
  /**
   * A watch from a seq the router no longer holds (behind its history, or ahead of its
   * newest write after writes were lost): details.oldestSeq is the oldest seq it holds.
   */
  COMPACTED: 'COMPACTED',
} as const;
export type ErrorCodeName = (typeof ErrorCode)[keyof typeof ErrorCode];

export class KvndbError extends Error {
  readonly code: string;
  readonly details?: Record<string, unknown>;
  /** True when the error was reported by the remote side rather than raised locally. */
  remote = false;

  constructor(code: string, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'KvndbError';
    this.code = code;
    if (options?.details) this.details = options.details;
  }

  toWire(id: number): [number, number, string, string, Record<string, unknown> | null] {
    return [11 /* Op.ERROR */, id, this.code, this.message, this.details ?? null];
  }

  static fromWire(code: unknown, message: unknown, details?: unknown): KvndbError {
    const c = typeof code === 'string' ? code : ErrorCode.PROTOCOL_ERROR;
    const m = typeof message === 'string' ? message : 'error reported without a message';
    const d = details && typeof details === 'object' ? (details as Record<string, unknown>) : undefined;
    const Cls = ERROR_CLASSES[c] ?? KvndbError;
    const err = new Cls(c, m, { details: d });
    err.remote = true;
    return err;
  }

  static authFailed(message = 'authentication failed: wrong or missing password'): AuthError {
    return new AuthError(ErrorCode.AUTH_FAILED, message);
  }
  static noReplicas(message = 'no in-sync replica is available'): NoReplicasError {
    return new NoReplicasError(ErrorCode.NO_REPLICAS, message);
  }
  static timeout(message: string, details?: Record<string, unknown>): TimeoutError {
    return new TimeoutError(ErrorCode.TIMEOUT, message, { details });
  }
  static connectionClosed(message = 'connection closed', cause?: unknown): ConnectionClosedError {
    return new ConnectionClosedError(ErrorCode.CONNECTION_CLOSED, message, { cause });
  }
  static versionMismatch(ours: number, theirs: unknown): VersionMismatchError {
    return new VersionMismatchError(
      ErrorCode.VERSION_MISMATCH,
      `protocol version mismatch: this side speaks version ${ours}, the peer speaks version ${String(theirs)}`,
      { details: { ours, theirs } },
    );
  }
  static tooLarge(message: string, details?: Record<string, unknown>): TooLargeError {
    return new TooLargeError(ErrorCode.TOO_LARGE, message, { details });
  }
  static protocol(message: string, cause?: unknown): ProtocolError {
    return new ProtocolError(ErrorCode.PROTOCOL_ERROR, message, { cause });
  }
  static badRequest(message: string): KvndbError {
    return new KvndbError(ErrorCode.BAD_REQUEST, message);
  }
}

export class AuthError extends KvndbError {}
export class NoReplicasError extends KvndbError {}
export class TimeoutError extends KvndbError {}
export class ConnectionClosedError extends KvndbError {}
export class VersionMismatchError extends KvndbError {}
export class TooLargeError extends KvndbError {}
export class ProtocolError extends KvndbError {}

const ERROR_CLASSES: Record<string, typeof KvndbError> = {
  AUTH_FAILED: AuthError,
  NO_REPLICAS: NoReplicasError,
  TIMEOUT: TimeoutError,
  CONNECTION_CLOSED: ConnectionClosedError,
  VERSION_MISMATCH: VersionMismatchError,
  TOO_LARGE: TooLargeError,
  PROTOCOL_ERROR: ProtocolError,
};

/** Turn anything thrown into a KvndbError without losing the original. */
export function toKvndbError(err: unknown): KvndbError {
  if (err instanceof KvndbError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new KvndbError(ErrorCode.INTERNAL, message, { cause: err });
}

/**
 * The code a read that threw is answered with: bad arguments and a key of the other type are
 * the caller's fault and keep their code; anything else is the replica failing.
 */
export function readFailureCode(e: KvndbError): ErrorCodeName {
  return e.code === ErrorCode.BAD_REQUEST || e.code === ErrorCode.WRONG_TYPE ? e.code : ErrorCode.REPLICA_ERROR;
}
