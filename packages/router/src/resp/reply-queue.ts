import type net from 'node:net';
import { Backpressure, type KvndbError, type StreamCloser } from '@kvndb/shared';
import type { ReplySink } from '../requests/reply-sink';
import * as R from './resp-encoder';

/** How reply() turns a router answer into RESP for a fast-path command. */
export const SHAPE_DONE = 0; // answered through fill() (a handler's Done callback) instead
export const SHAPE_BULK = 1; // GET: the value or nil
export const SHAPE_SET = 2; // plain SET: +OK
/** Added to SHAPE_BULK or SHAPE_SET when the connection spoke RESP3 as the command ran: nil is `_`. */
export const SHAPE_RESP3 = 4;

/** Replies owed on one connection before it stops being read from. */
const MAX_PENDING_PER_CONNECTION = 10000;
const OUT_INITIAL_BYTES = 16 * 1024;

/**
 * The replies of one RESP connection. Each command takes a slot in request order
 * (reserve()); replies leave in that order even when the router answers out of order (reads
 * on different replicas), and everything answered in one event-loop turn leaves in one
 * socket write. The queue is itself the router's ReplySink for the GET/SET fast path (the
 * slot number is the tag), so those requests allocate no callbacks, and an in-order GET
 * reply is encoded straight into the output buffer. It pauses reading from the socket while
 * too many replies are owed or the peer does not read them (the shared Backpressure rule on
 * the socket's writableLength), and ends the socket through the session's StreamCloser once
 * closing and every owed reply is written.
 */
export class ReplyQueue implements ReplySink {
  /** Slot number of replies[0], the oldest command whose reply is not written yet. */
  private head = 0;
  /** Replies from `head` on, in request order; undefined = still being worked on. */
  private replies: Array<Buffer | undefined> = [];
  /** Per slot, how reply() encodes the router's answer (SHAPE_*). */
  private shapes: number[] = [];
  private out: Buffer = Buffer.allocUnsafe(OUT_INITIAL_BYTES);
  private outLen = 0;
  private flushScheduled = false;
  /** Bytes of replies filled but waiting behind an earlier one (counted in outputBytes). */
  private heldBytes = 0;
  /**
   * Reading paused as soon as the socket holds replies it could not write at once (a write
   * returned false: its writable high-water mark, 16 KiB by default), read again once they
   * have drained, as before the shared Backpressure. A client that reads nothing then holds
   * only the replies to commands already read. No hard limit: the replies owed are capped.
   */
  private readonly output: Backpressure;

  constructor(
    private readonly socket: net.Socket,
    private readonly closer: StreamCloser,
    /** Told of every error answered through this queue (the metrics count them). */
    private readonly onError: (err: KvndbError) => void = () => undefined,
  ) {
    this.output = new Backpressure({ high: socket.writableHighWaterMark - 1, low: 0, hard: Infinity }, {
      pause: () => {
        socket.pause();
      },
      resume: () => {
        if (!closer.closing && this.replies.length <= MAX_PENDING_PER_CONNECTION) socket.resume();
      },
      overflow: () => {},
    });
    socket.on('drain', () => this.output.update(socket.writableLength));
  }

  /** Once set, no more commands are taken: the socket ends after the last owed reply. */
  get closing(): boolean {
    return this.closer.closing;
  }

  /** Take no more commands; end the socket once every reply reserved so far is written. */
  close(): void {
    this.closer.start();
  }

  /** Replies owed (slots reserved, not yet written). */
  get pending(): number {
    return this.replies.length;
  }

  /**
   * Bytes of output not yet taken by the peer: waiting behind an earlier reply, in the
   * output buffer, and in the socket. A subscriber's output limit is judged on it.
   */
  get outputBytes(): number {
    return this.heldBytes + this.outLen + this.socket.writableLength;
  }

  /**
   * A pushed frame (a pub/sub message): out at once when no reply is owed, else right after
   * the replies owed now, so it never overtakes the confirmation of the SUBSCRIBE that asked
   * for it. Nothing once closing.
   */
  push(frame: Buffer): void {
    if (this.closer.closing) return;
    if (this.replies.length === 0) this.append(frame);
    else this.fill(this.reserve(SHAPE_DONE), frame);
  }

  /** Take the next reply slot. */
  reserve(shape: number): number {
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
    const shape = this.shapes[i];
    if (err) {
      this.onError(err);
      this.fill(tag, R.errorReply(err));
    } else if ((shape & SHAPE_BULK) !== 0) {
      const body = value as Uint8Array | null;
      if (body === null) {
        this.fill(tag, (shape & SHAPE_RESP3) !== 0 ? R.NULL3 : R.NULL_BULK);
        return;
      }
      if (i !== 0) {
        this.fill(tag, R.bulk(body));
        return;
      }
      this.reserveOut(R.bulkSize(body.length));
      this.outLen = R.writeBulk(this.out, this.outLen, body);
      this.advance();
    } else {
      this.fill(tag, value !== false ? R.OK : (shape & SHAPE_RESP3) !== 0 ? R.NULL3 : R.NULL_BULK);
    }
  }

  /** The reply of `slot`, written now if it is the oldest owed, else once those before it are. */
  fill(slot: number, reply: Buffer): void {
    const i = slot - this.head;
    if (i < 0 || i >= this.replies.length) return;
    if (i !== 0) {
      this.replies[i] = reply;
      this.heldBytes += reply.length;
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
      const next = replies.shift() as Buffer;
      this.heldBytes -= next.length;
      this.append(next);
      this.shapes.shift();
      this.head++;
    }
    if (this.closer.closing) {
      if (replies.length > 0) return;
      this.flush();
      // Ends the socket; a peer that neither closes nor reads is cut off a grace period later.
      this.closer.end();
    } else if (replies.length <= MAX_PENDING_PER_CONNECTION && !this.output.paused) {
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
    this.socket.write(data);
    // A client that does not read its replies stops being read from: bounded buffering.
    this.output.update(this.socket.writableLength);
  };
}
