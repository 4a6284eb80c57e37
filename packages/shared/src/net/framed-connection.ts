import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { FRAME_HEADER_BYTES, FrameDecoder, encodeFrame, inPlaceFrameBytes, writeFrameAt } from '../codec/codec';
import { KvndbError } from '../protocol/errors';
import { DEFAULT_MAX_FRAME_BYTES } from '../protocol/limits';
import { monotonicMs } from './heartbeat';
import { StreamCloser } from './stream-closer';
import { describeAddress } from './transport';

/** Coalesced writes are concatenated up to this size; bigger batches are written corked. */
const CONCAT_LIMIT = 256 * 1024;
/**
 * A turn that queued at least this many frames (or bytes) flushes at its end, so the peer
 * can start on them while this process goes on; smaller amounts wait for the end of the
 * event-loop iteration, so many small turns (one per client request at pipeline depth 1)
 * share one socket write instead of paying a syscall each.
 */
const EAGER_FLUSH_FRAMES = 16;
const EAGER_FLUSH_BYTES = 16 * 1024;
/**
 * Small messages (frames up to STAGED_FRAME_MAX_BYTES) are encoded straight into a
 * per-connection staging buffer instead of a Buffer each. It starts at STAGING_MIN_BYTES and
 * doubles up to STAGING_MAX_BYTES while frames pile up before a flush; one grown past
 * STAGING_KEPT_BYTES is dropped after the flush, so a connection keeps at most that much
 * between bursts (and a busy one does not reallocate on every flush).
 */
const STAGED_FRAME_MAX_BYTES = 1024;
const STAGING_MIN_BYTES = 4 * 1024;
const STAGING_KEPT_BYTES = 16 * 1024;
const STAGING_MAX_BYTES = 64 * 1024;

export interface FramedConnectionOptions {
  maxFrameBytes?: number;
  /** The peer as logs and errors name it (a Link's address); default: the socket's remote address. */
  address?: string;
  /**
   * The stream is the in-process transport's (Link.inProcess): there is no syscall to share,
   * so frames leave at the end of every turn instead of waiting for the end of the
   * event-loop iteration, which would cost the peer's answer one more iteration.
   */
  inProcess?: boolean;
}

/**
 * A byte stream (a Link's: a socket, or one end of the in-process transport) speaking
 * kvndb frames. Outgoing frames queued in one event-loop turn leave in one stream write
 * (one syscall, one TCP segment where they fit); incoming bytes are decoded by a
 * FrameDecoder. Owners set `onMessage` and listen for 'close' and 'drain'. It knows frames,
 * not what is in them: the in-place encoding is the codec's, the PING heartbeat.ts's.
 *
 * Events: 'close' (err: KvndbError | undefined), 'drain' ().
 */
export class FramedConnection extends EventEmitter {
  readonly stream: Duplex;
  readonly address: string;
  /** Whether the peer is in this thread (FramedConnectionOptions.inProcess). */
  readonly inProcess: boolean;
  private handler: (msg: unknown) => void = () => {};
  /** Messages held back between hold() and the next onMessage assignment. */
  private held: unknown[] | null = null;
  private readonly decoder: FrameDecoder;
  readonly maxFrameBytes: number;
  /** Frames to send, oldest first; the staged ones (below) come after them. */
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  /** Frames queued since the last flush, staged or not (for the eager-flush rule). */
  private queuedFrames = 0;
  /**
   * Small frames encoded in place: bytes stagedFrom..stagedTo of `staging` are queued after
   * everything in `queue`. The socket only ever gets copies of them, so the buffer is reused.
   */
  private staging: Buffer | null = null;
  private stagedFrom = 0;
  private stagedTo = 0;
  private tickScheduled = false;
  private immediateScheduled = false;
  private closed = false;
  /** After sendErrorAndClose(): nothing more is decoded, and a peer still sending is cut off. */
  private readonly closer: StreamCloser;
  private closeError: KvndbError | undefined;
  /**
   * Called after each incoming chunk has been decoded, its complete frames delivered (e.g.
   * to tell a frame still arriving from one that came whole). Not called once closing.
   */
  afterChunk: (() => void) | null = null;
  /** Monotonic ms (heartbeat.ts) when bytes last arrived / were last handed to the socket. */
  lastReceivedAt = monotonicMs();
  lastSentAt = monotonicMs();

  constructor(stream: Duplex, options: FramedConnectionOptions = {}) {
    super();
    this.stream = stream;
    this.address = options.address ?? describeAddress(stream);
    this.inProcess = options.inProcess === true;
    this.closer = new StreamCloser(stream);
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.decoder = new FrameDecoder({
      maxFrameBytes: this.maxFrameBytes,
      onFrame: (msg) => {
        if (this.closed) return;
        if (this.held) this.held.push(msg);
        else this.handler(msg);
      },
      // The stream can no longer be trusted: tell the peer why (PROTOCOL.md), then hang up.
      onError: (err) => this.sendErrorAndClose(err),
    });
    stream.on('data', (chunk: Buffer) => {
      // After an error nothing more is decoded (stream-closer.ts says what happens instead).
      if (this.closer.closing) return this.closer.drop(chunk);
      this.lastReceivedAt = monotonicMs();
      this.decoder.write(chunk);
      const after = this.afterChunk;
      if (after !== null) after();
    });
    stream.on('drain', () => this.emit('drain'));
    stream.on('error', (err) => {
      if (!this.closeError) this.closeError = KvndbError.connectionClosed(`connection to ${this.address} failed: ${err.message}`, err);
    });
    stream.on('close', () => this.finish());
  }

  /**
   * `fn` sees the first chunk that arrives, before it is decoded (to tell a foreign protocol
   * from kvndb's by its first bytes). Call it before any data can have arrived.
   */
  onFirstChunk(fn: (chunk: Buffer) => void): void {
    this.stream.prependOnceListener('data', fn);
  }

  get onMessage(): (msg: unknown) => void {
    return this.handler;
  }

  /** Install the message handler; messages held since hold() are delivered to it first, in order. */
  set onMessage(fn: (msg: unknown) => void) {
    this.handler = fn;
    const held = this.held;
    if (!held) return;
    this.held = null;
    for (const msg of held) {
      if (this.closed) break;
      fn(msg);
    }
  }

  /**
   * Queue incoming messages until the next onMessage assignment. A handshake calls this
   * before it resolves, so frames that arrive in the same chunk as its last message reach
   * whoever takes over the connection instead of being lost.
   */
  hold(): void {
    if (!this.held) this.held = [];
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The size limit incoming frames are checked against (their length prefix, before any body is buffered). */
  get incomingFrameLimit(): number {
    return this.decoder.limit;
  }

  /**
   * Set the incoming frame limit from the next frame on. The router keeps a connection
   * that has not authenticated to a small one (`note` " before authentication" says so in
   * the TOO_LARGE error) and raises it to `maxFrameBytes` once the handshake succeeds.
   * Outgoing frames are always checked against `maxFrameBytes`.
   */
  setIncomingFrameLimit(bytes: number, note = ''): void {
    this.decoder.setLimit(bytes, note);
  }

  /** Bytes accepted for sending but not yet handed to the kernel. */
  get bufferedBytes(): number {
    return this.queuedBytes + this.stream.writableLength;
  }

  /** Encode and queue one message. Throws TOO_LARGE if it exceeds the frame limit. */
  send(msg: unknown): void {
    const size = inPlaceFrameBytes(msg);
    if (size < 0 || size > STAGED_FRAME_MAX_BYTES || size - FRAME_HEADER_BYTES > this.maxFrameBytes) {
      this.sendFrame(encodeFrame(msg, this.maxFrameBytes));
      return;
    }
    if (this.closed) return;
    const staging = this.stagingFor(size);
    this.stagedTo = writeFrameAt(staging, this.stagedTo, msg, size);
    this.queued(size);
  }

  /** Queue an already-encoded frame (one encode can serve many connections). */
  sendFrame(frame: Buffer): void {
    if (this.closed) return;
    if (frame.length <= STAGED_FRAME_MAX_BYTES) {
      // Copied in with the staged frames: cheaper than a queue entry and keeps them one run.
      const staging = this.stagingFor(frame.length);
      staging.set(frame, this.stagedTo);
      this.stagedTo += frame.length;
    } else {
      this.sealStaged();
      this.queue.push(frame);
    }
    this.queued(frame.length);
  }

  private queued(bytes: number): void {
    this.queuedBytes += bytes;
    this.queuedFrames++;
    if (!this.tickScheduled) {
      this.tickScheduled = true;
      process.nextTick(this.endOfTurn);
    }
  }

  /** The staging buffer, with room for `bytes` (at most STAGED_FRAME_MAX_BYTES) after stagedTo. */
  private stagingFor(bytes: number): Buffer {
    let staging = this.staging;
    if (staging !== null && this.stagedTo + bytes <= staging.length) return staging;
    const used = this.stagedTo - this.stagedFrom;
    if (staging === null) {
      staging = Buffer.allocUnsafeSlow(STAGING_MIN_BYTES);
    } else if (used + bytes <= staging.length) {
      // Room once the part already moved to the queue is dropped.
      staging.copyWithin(0, this.stagedFrom, this.stagedTo);
    } else if (staging.length < STAGING_MAX_BYTES) {
      const bigger = Buffer.allocUnsafeSlow(staging.length * 2);
      staging.copy(bigger, 0, this.stagedFrom, this.stagedTo);
      staging = bigger;
    } else {
      this.sealStaged();
      this.stagedFrom = 0;
      this.stagedTo = 0;
      return staging;
    }
    this.staging = staging;
    this.stagedFrom = 0;
    this.stagedTo = used;
    return staging;
  }

  /** After a flush: nothing staged, and a staging buffer grown past STAGING_KEPT_BYTES let go. */
  private resetStaging(): void {
    this.stagedFrom = 0;
    this.stagedTo = 0;
    if (this.staging !== null && this.staging.length > STAGING_KEPT_BYTES) this.staging = null;
  }

  /** A frame is queued after the staged ones: they move to the queue first (as a copy). */
  private sealStaged(): void {
    if (this.stagedTo === this.stagedFrom) return;
    this.queue.push(Buffer.from((this.staging as Buffer).subarray(this.stagedFrom, this.stagedTo)));
    this.stagedFrom = this.stagedTo;
  }

  private endOfTurn = (): void => {
    this.tickScheduled = false;
    if (this.inProcess || this.queuedFrames >= EAGER_FLUSH_FRAMES || this.queuedBytes >= EAGER_FLUSH_BYTES) {
      this.flush();
    } else if (!this.immediateScheduled && this.queuedFrames > 0) {
      this.immediateScheduled = true;
      setImmediate(this.endOfIteration);
    }
  };

  private endOfIteration = (): void => {
    this.immediateScheduled = false;
    this.flush();
  };

  /** Send an error frame and close once it has been written. */
  sendErrorAndClose(err: KvndbError, id = 0): void {
    if (this.closed || !this.closer.start()) return;
    this.decoder.stop();
    this.send(err.toWire(id));
    this.flush();
    this.closeError = err;
    this.closer.end();
  }

  /**
   * Send raw bytes (not a frame: an answer in another protocol, for a peer that is not
   * speaking kvndb's) and close as sendErrorAndClose does.
   */
  sendRawAndClose(bytes: Buffer, err: KvndbError): void {
    if (this.closed || !this.closer.start()) return;
    this.decoder.stop();
    this.flush();
    this.closeError = err;
    this.closer.end(bytes);
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  /** Close now; pending outgoing frames are dropped. */
  close(err?: KvndbError): void {
    if (err && !this.closeError) this.closeError = err;
    if (!this.stream.destroyed) this.stream.destroy();
    this.finish();
  }

  private flush(): void {
    if (this.queuedFrames === 0 || this.closed) return;
    const bytes = this.queuedBytes;
    this.lastSentAt = monotonicMs();
    this.queuedBytes = 0;
    this.queuedFrames = 0;
    const staged = this.stagedTo - this.stagedFrom;
    if (staged > 0 && bytes <= CONCAT_LIMIT) {
      // One buffer for the socket: the queued frames, then the staged ones (copied, so the
      // staging buffer is free again at once).
      const staging = this.staging as Buffer;
      const out = Buffer.allocUnsafe(bytes);
      let at = 0;
      for (const frame of this.queue) {
        out.set(frame, at);
        at += frame.length;
      }
      staging.copy(out, at, this.stagedFrom, this.stagedTo);
      if (this.queue.length > 0) this.queue = [];
      this.resetStaging();
      this.stream.write(out);
      return;
    }
    this.sealStaged();
    const queue = this.queue;
    this.queue = [];
    this.resetStaging();
    if (queue.length === 1) {
      this.stream.write(queue[0]);
    } else if (bytes <= CONCAT_LIMIT) {
      this.stream.write(Buffer.concat(queue, bytes));
    } else {
      this.stream.cork();
      for (const frame of queue) this.stream.write(frame);
      this.stream.uncork();
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.decoder.stop();
    this.queue = [];
    this.queuedBytes = 0;
    this.queuedFrames = 0;
    this.staging = null;
    this.stagedFrom = 0;
    this.stagedTo = 0;
    this.emit('close', this.closeError);
  }
}
