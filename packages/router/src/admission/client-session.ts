import {
  Backpressure,
  COMMANDS_BY_OP,
  ErrorCode,
  KvndbError,
  Op,
  toKvndbError,
  type FramedConnection,
  type Logger,
} from '@kvndb/shared';
import type { ReplySink, StreamSink } from '../requests/reply-sink';

/** Where a session's requests go: the request dispatcher. */
export interface RequestExecutor {
  /** Run the request message [op, id, ...args]; answer via sink.reply(tag, ...). */
  execute(msg: unknown[], sink: ReplySink, tag: number): void;
}

export interface ClientSessionOptions {
  /** Requests in flight on one connection before TOO_MANY_REQUESTS. */
  maxInflight: number;
  /** Stop reading from a client whose unsent answers exceed this... */
  highWaterBytes: number;
  /** ...until they are back below this. */
  lowWaterBytes: number;
  /**
   * Hard cap on unsent answers. Pausing stops new requests, but answers to requests already
   * in flight still arrive (up to maxInflight large values): past this the client is cut off,
   * as Redis does with client-output-buffer-limit.
   */
  outputLimitBytes: number;
  /** Close a client that sent no request for this long with none in flight; 0 = never. */
  idleTimeoutMs: number;
  /** Close a client whose started frame is not complete after this long; 0 = never. */
  frameTimeoutMs: number;
}

export const DEFAULT_SESSION_OPTIONS: ClientSessionOptions = {
  maxInflight: 10_000,
  highWaterBytes: 16 * 1024 * 1024,
  lowWaterBytes: 4 * 1024 * 1024,
  outputLimitBytes: 256 * 1024 * 1024,
  idleTimeoutMs: 0,
  frameTimeoutMs: 30_000,
};

/**
 * One client connection after WELCOME. Checks each message's shape (a malformed one is a
 * PROTOCOL_ERROR that closes this connection only), caps requests in flight, and stops
 * reading from a client that does not read its answers, so it cannot grow router memory:
 * the shared Backpressure rule on its unsent answers (bufferedBytes) pauses reading above
 * highWaterBytes, resumes at lowWaterBytes, and cuts the client off past outputLimitBytes.
 * It is the ReplySink for all its requests: the tag is the client's request id.
 */
export class ClientSession implements StreamSink {
  inflight = 0;
  /** Reading paused above highWaterBytes of unsent answers; cut off past outputLimitBytes. */
  private readonly output: Backpressure;
  /** Complete messages received; a counter (not a clock read) keeps the hot path cheap. */
  private frames = 0;
  /** `frames` when the last socket chunk had been decoded. */
  private framesAtChunk = 0;
  /** Date.now() when bytes of a not yet complete frame first arrived (0: none pending). */
  private partialSince = 0;
  /** `frames` at the last idle check, and when it last moved. */
  private framesAtCheck = 0;
  private activeAt = Date.now();

  constructor(
    readonly id: number,
    readonly conn: FramedConnection,
    readonly name: string | undefined,
    private readonly requests: RequestExecutor,
    private readonly options: ClientSessionOptions,
    private readonly logger: Logger,
  ) {
    this.output = new Backpressure(
      { high: options.highWaterBytes, low: options.lowWaterBytes, hard: options.outputLimitBytes },
      {
        pause: () => conn.pause(),
        resume: () => conn.resume(),
        overflow: (buffered) => {
          this.logger.warn(
            `client ${conn.address} is not reading its answers (${buffered} bytes unsent, limit ${options.outputLimitBytes}): closing it`,
          );
          conn.close(new KvndbError(ErrorCode.TOO_LARGE, `more than ${options.outputLimitBytes} bytes of answers unread`));
        },
      },
    );
    conn.onMessage = (msg) => this.onMessage(msg);
    conn.on('drain', () => this.output.update(conn.bufferedBytes));
    // After each chunk is decoded: one that completed no frame means a frame is still being received.
    conn.afterChunk = () => {
      if (this.frames !== this.framesAtChunk) {
        this.framesAtChunk = this.frames;
        this.partialSince = 0;
      } else if (this.partialSince === 0) {
        this.partialSince = Date.now();
      }
    };
  }

  /**
   * Called about once a second (admission.ts): closes the connection if a frame has been
   * dribbling in for longer than the frame timeout (slowloris) or the client has been idle
   * past the idle timeout. Returns whether it closed.
   */
  checkTimeouts(now: number): boolean {
    if (this.conn.isClosed) return false;
    if (this.frames !== this.framesAtCheck) {
      this.framesAtCheck = this.frames;
      this.activeAt = now;
    }
    const o = this.options;
    // While paused the router is not reading: a frame cut in half is the router's doing.
    if (o.frameTimeoutMs > 0 && this.partialSince !== 0 && !this.output.paused && now - this.partialSince > o.frameTimeoutMs) {
      this.logger.warn(`client ${this.conn.address} took more than ${o.frameTimeoutMs} ms to send one frame: closing it`);
      this.conn.sendErrorAndClose(KvndbError.timeout(`a frame took more than ${o.frameTimeoutMs} ms to arrive`));
      return true;
    }
    if (o.idleTimeoutMs > 0 && this.inflight === 0 && now - this.activeAt > o.idleTimeoutMs) {
      this.logger.info(`client ${this.conn.address} idle for more than ${o.idleTimeoutMs} ms: closing it`);
      this.conn.sendErrorAndClose(KvndbError.timeout(`connection idle for more than ${o.idleTimeoutMs} ms`));
      return true;
    }
    return false;
  }

  get isPaused(): boolean {
    return this.output.paused;
  }

  private onMessage(msg: unknown): void {
    this.frames++;
    try {
      if (!Array.isArray(msg) || msg.length < 2) return this.protocolError('a request is [opcode, id, ...args]');
      const op = msg[0];
      const id = msg[1];
      if (typeof op !== 'number') return this.protocolError('opcode must be an integer');
      const arity = COMMANDS_BY_OP[op]?.arity;
      if (!arity) return this.protocolError(`unknown or unexpected opcode ${op}`);
      if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) return this.protocolError('request id must be a positive integer');
      if (msg.length < arity[0] || msg.length > arity[1]) {
        return this.protocolError(`wrong number of fields for opcode ${op}: got ${msg.length}, expected ${arity[0] === arity[1] ? arity[0] : `${arity[0]} to ${arity[1]}`}`);
      }
      if (this.inflight >= this.options.maxInflight) {
        this.conn.send(
          new KvndbError(ErrorCode.TOO_MANY_REQUESTS, `more than ${this.options.maxInflight} requests in flight on one connection`).toWire(id),
        );
        return;
      }
      this.inflight++;
      this.requests.execute(msg, this, id);
    } catch (err) {
      // A bug, not the client's fault: close this connection only, keep the router up.
      this.logger.error(`client ${this.conn.address}: ${(err as Error).stack ?? String(err)}`);
      this.conn.sendErrorAndClose(new KvndbError(ErrorCode.INTERNAL, `internal error: ${(err as Error).message}`, { cause: err }));
    }
  }

  reply(tag: number, err: KvndbError | null, value?: unknown): void {
    this.inflight--;
    if (this.conn.isClosed) return;
    try {
      this.conn.send(err ? err.toWire(tag) : [Op.RESULT, tag, value]);
    } catch (e) {
      // The answer itself does not fit in a frame (e.g. MGET of many large values).
      this.conn.send(toKvndbError(e).toWire(tag));
    }
    // Below the high-water mark and not paused: two comparisons.
    this.output.update(this.conn.bufferedBytes);
  }

  /** StreamSink: an event of a stream this client opened, after everything sent before it. */
  event(streamId: number, payload: unknown[]): number {
    if (this.conn.isClosed) return 0;
    this.conn.send([Op.EVENT, streamId, ...payload]);
    const buffered = this.conn.bufferedBytes;
    this.output.update(buffered);
    return buffered;
  }

  /** StreamSink: the client does not read its streams' events: an error frame after what it has, then closed. */
  cutOff(err: KvndbError): void {
    this.logger.warn(`client ${this.conn.address}: ${err.message}: closing it`);
    this.conn.sendErrorAndClose(err);
  }

  onClose(fn: () => void): void {
    if (this.conn.isClosed) fn();
    else this.conn.once('close', fn);
  }

  /** Router stopping: answers already queued go out first, then SHUTTING_DOWN, then close. */
  shutdown(): void {
    this.conn.sendErrorAndClose(new KvndbError(ErrorCode.SHUTTING_DOWN, 'the router is shutting down'));
  }

  private protocolError(message: string): void {
    this.logger.warn(`protocol error from client ${this.conn.address}: ${message}`);
    this.conn.sendErrorAndClose(KvndbError.protocol(message));
  }
}
