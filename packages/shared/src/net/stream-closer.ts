import type { Duplex } from 'node:stream';

/** Bytes still read (and dropped) after closing starts, before the stream stops being read. */
const CLOSE_DISCARD_BYTES = 64 * 1024;
/** How long after our end of the stream a peer that neither reads nor closes keeps it open. */
const CLOSE_GRACE_MS = 2000;

export interface StreamCloserOptions {
  discardBytes?: number;
  graceMs?: number;
  /**
   * Let the grace timer not hold the process open. The default keeps it ref'd: until it
   * fires the connection is still open, and a paused stream alone does not keep the event
   * loop alive (a replica awaiting a connection's 'close' once exited with status 0 in the
   * middle of its work). A server with a listener open can unref it.
   */
  unref?: boolean;
}

/**
 * Closing a stream after an error (or a QUIT) without trusting the peer: nothing more is
 * parsed; a peer still sending past `discardBytes` (a huge frame refused by its length
 * prefix) stops being read from, so its bytes wait in the kernel, TCP flow control stalls
 * it, and it can still read our last answer. A few more chunks are read and dropped, so a
 * peer that closes at once is still seen closing. After our end of the stream, a peer that
 * neither reads nor closes is cut off `graceMs` later.
 *
 * Use: the 'data' handler starts with `if (closer.closing) return closer.drop(chunk);`;
 * on the error call `start()` (false: already closing), queue the last answer, then `end()`.
 */
export class StreamCloser {
  /** start() was called: incoming bytes are dropped. */
  closing = false;
  private discarded = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly discardBytes: number;
  private readonly graceMs: number;
  private readonly unref: boolean;

  constructor(
    private readonly stream: Duplex,
    options: StreamCloserOptions = {},
  ) {
    this.discardBytes = options.discardBytes ?? CLOSE_DISCARD_BYTES;
    this.graceMs = options.graceMs ?? CLOSE_GRACE_MS;
    this.unref = options.unref ?? false;
  }

  /** Stop taking input. Returns false when closing had already started. */
  start(): boolean {
    if (this.closing) return false;
    this.closing = true;
    return true;
  }

  /** A chunk that arrived while closing: counted and dropped; past the limit the stream is paused. */
  drop(chunk: Buffer): void {
    this.discarded += chunk.length;
    if (this.discarded > this.discardBytes) this.stream.pause();
  }

  /** End our side of the stream (after `last`, if given) and hang up graceMs later unless it closes first. */
  end(last?: Uint8Array): void {
    this.closing = true;
    if (last !== undefined) this.stream.end(last);
    else this.stream.end();
    this.hangUpLater();
  }

  /**
   * Destroy the stream graceMs (or `ms`) from now unless it has closed by then (once; later
   * calls keep the first timer, so a caller may arm a longer grace before end()).
   */
  hangUpLater(ms = this.graceMs): void {
    if (this.timer !== undefined || this.stream.destroyed) return;
    const timer = setTimeout(() => this.stream.destroy(), ms);
    if (this.unref) timer.unref();
    this.timer = timer;
    this.stream.once('close', () => clearTimeout(timer));
  }
}
