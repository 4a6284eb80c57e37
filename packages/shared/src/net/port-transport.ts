import { Duplex } from 'node:stream';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { ErrorCode, KvndbError } from '../protocol/errors';
import type { Link, Listener, Transport } from './transport';

/**
 * Bytes posted and not yet taken by the other end past which a writer waits (its write
 * callback is held back): a thread that reads slower than the other writes must slow it
 * down, as a socket's full buffer would, rather than queue without bound.
 */
const WINDOW_BYTES = 4 * 1024 * 1024;
/**
 * The reader says what it took in steps of this many bytes, not per message: a reply per
 * message would double the messages between the threads (each one a wakeup of the other).
 * The writer, waiting only past WINDOW_BYTES, always gets a step before it would wait.
 */
const TOOK_STEP_BYTES = WINDOW_BYTES / 4;

/** Messages of this many bytes or more transfer their memory instead of copying it. */
const TRANSFER_BYTES = 64 * 1024;

/** What crosses a stream's port: bytes, the reader's "taken" count, or the end of writing. */
type PortMessage = { b: Uint8Array } | { took: number } | { end: true };

/**
 * One end of a byte stream whose other end is in another thread, over a MessagePort.
 *
 * Writes of one turn travel together: they are gathered and posted as one message on the
 * next tick (the framed connection above already gathers a turn's frames into one write,
 * so it is usually one chunk), copied into one buffer (whose memory is transferred, not
 * cloned, when it is large). The reader counts what it took and says so; the writer holds its write callback
 * while WINDOW_BYTES are unacknowledged. Closing the port (either end, or the thread of the
 * other end exiting) ends and closes the stream: a dead thread is a dead peer.
 */
export function portStream(port: MessagePort): Duplex {
  let out: Buffer[] = [];
  let outBytes = 0;
  let flushScheduled = false;
  /** Bytes posted that the other end has not said it took. */
  let unacked = 0;
  let waiting: ((err?: Error | null) => void) | undefined;
  let closed = false;
  /** Bytes pushed to the readable side not yet reported as taken. */
  let took = 0;
  /** The readable side is over its high-water mark: report nothing until it is read. */
  let full = false;
  const report = (): void => {
    if (full || took < TOOK_STEP_BYTES || closed) return;
    port.postMessage({ took } satisfies PortMessage);
    took = 0;
  };

  const flush = (): void => {
    flushScheduled = false;
    if (closed || out.length === 0) return;
    // One buffer of exactly the bytes. Past TRANSFER_BYTES its memory is handed over, not
    // cloned; below, cloning it costs less than detaching an ArrayBuffer does.
    const block = new Uint8Array(outBytes);
    let at = 0;
    for (let i = 0; i < out.length; i++) {
      block.set(out[i], at);
      at += out[i].length;
    }
    unacked += outBytes;
    const big = outBytes >= TRANSFER_BYTES;
    out = [];
    outBytes = 0;
    if (big) port.postMessage({ b: block } satisfies PortMessage, [block.buffer]);
    else port.postMessage({ b: block } satisfies PortMessage);
  };

  const stream: Duplex = new Duplex({
    // As a socket does: the end of the peer's writing ends this side too.
    allowHalfOpen: false,
    read() {
      full = false;
      report();
    },
    write(chunk: Buffer, _enc, callback) {
      if (closed) {
        callback(KvndbError.connectionClosed('the stream to the other thread is closed'));
        return;
      }
      out.push(chunk);
      outBytes += chunk.length;
      if (!flushScheduled) {
        flushScheduled = true;
        process.nextTick(flush);
      }
      if (unacked + outBytes <= WINDOW_BYTES) callback();
      else waiting = callback;
    },
    final(callback) {
      flush();
      if (!closed) port.postMessage({ end: true } satisfies PortMessage);
      callback();
    },
    destroy(err, callback) {
      closed = true;
      port.close();
      const cb = waiting;
      waiting = undefined;
      cb?.(err ?? undefined);
      callback(err);
    },
  });

  port.on('message', (m: PortMessage) => {
    if ('b' in m) {
      const bytes = Buffer.from(m.b.buffer, m.b.byteOffset, m.b.byteLength);
      // Taken once it is in the readable side, unless that side is full (a paused or slow
      // consumer): then once it is read, so the writer waits for the consumer.
      took += bytes.length;
      if (!stream.push(bytes)) full = true;
      report();
    } else if ('took' in m) {
      unacked -= m.took;
      if (waiting && unacked + outBytes <= WINDOW_BYTES) {
        const cb = waiting;
        waiting = undefined;
        cb();
      }
    } else if ('end' in m) {
      stream.push(null);
    }
  });
  port.on('close', () => {
    closed = true;
    if (!stream.destroyed) {
      // The other end went without ending its writing first: its thread died, or it destroyed its stream.
      if (!stream.readableEnded) stream.push(null);
      stream.destroy();
    }
  });
  return stream;
}

/** A dial request on the transport's control port: the new stream's port. */
interface DialMessage {
  dial: MessagePort;
}

/**
 * A transport between two threads of one process (the main thread and a worker_threads
 * Worker), over a control MessagePort whose two ends each thread holds one of. One side
 * listens, the other dials; each dial makes a new MessageChannel whose far port is sent
 * over the control port, so a reconnect is a new stream, as with a socket. `kvndb
 * standalone` carries its embedded replica's link this way (replica/src/thread/).
 *
 * Links are not `inProcess`: their bytes are posted to another event loop, so each side
 * gathers a turn's frames as it does for a socket.
 */
export class PortTransport implements Transport {
  readonly kind = 'thread';
  private listening = false;
  private next = 0;

  constructor(
    private readonly control: MessagePort,
    readonly name = 'thread',
    /**
     * Links dialed from here are marked inProcess: their frames leave at the end of each
     * turn and a replica groups the writes of a whole event-loop iteration into one commit.
     * Right for the replica's thread, which does nothing else: a turn there is one message
     * from the router (one router iteration's frames), and the acks of a group are made in
     * one turn. Wrong for the router's side, where each client request is its own turn and
     * frames must wait for the end of the iteration to travel together.
     */
    private readonly dialsInProcess = false,
  ) {}

  listen(onLink: (link: Link) => void): Promise<Listener> {
    if (this.listening) return Promise.reject(new KvndbError(ErrorCode.BAD_REQUEST, `${this.name} already has a listener`));
    this.listening = true;
    const onMessage = (m: unknown): void => {
      if (m === null || typeof m !== 'object' || !('dial' in m)) return;
      const id = ++this.next;
      onLink({ stream: portStream((m as DialMessage).dial), address: `${this.name}#${id}` });
    };
    this.control.on('message', onMessage);
    return Promise.resolve({
      address: { host: this.name, port: 0 },
      close: () => {
        this.control.off('message', onMessage);
        this.listening = false;
        return Promise.resolve();
      },
    });
  }

  dial(): Promise<Link> {
    const { port1, port2 } = new MessageChannel();
    try {
      this.control.postMessage({ dial: port2 } satisfies DialMessage, [port2]);
    } catch (err) {
      port1.close();
      return Promise.reject(KvndbError.connectionClosed(`cannot connect to ${this.name}: ${(err as Error).message}`, err));
    }
    return Promise.resolve({ stream: portStream(port1), address: this.name, inProcess: this.dialsInProcess });
  }
}
