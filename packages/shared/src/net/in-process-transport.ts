import { Duplex } from 'node:stream';
import { ErrorCode, KvndbError } from '../protocol/errors';
import type { Link, Listener, Transport } from './transport';

/**
 * Two ends of a byte stream inside one process: what one end writes, the other reads.
 * Flow control is the streams' own: a write returns false once the reader holds more than
 * its highWaterMark unread, and 'drain' follows when it has read them.
 */
function duplexPair(): [Duplex, Duplex] {
  let a: Duplex;
  let b: Duplex;
  // A write is handed to the other end's read side; its callback (which lets the writer go
  // on) waits until that end wants more, so a paused reader holds the writer back.
  let aWaiting: (() => void) | undefined;
  let bWaiting: (() => void) | undefined;
  const make = (peer: () => Duplex, setWaiting: (cb: (() => void) | undefined) => void, takeOwnWaiting: () => (() => void) | undefined) =>
    new Duplex({
      // As a socket does: the end of the peer's writing ends this side too.
      allowHalfOpen: false,
      read() {
        const cb = takeOwnWaiting();
        if (cb) cb();
      },
      write(chunk: Buffer, _enc, callback) {
        if (peer().push(chunk)) callback();
        else setWaiting(callback);
      },
      final(callback) {
        peer().push(null);
        callback();
      },
      destroy(err, callback) {
        const other = peer();
        if (!other.destroyed) other.destroy();
        callback(err);
      },
    });
  a = make(
    () => b,
    (cb) => (bWaiting = cb),
    () => {
      const cb = aWaiting;
      aWaiting = undefined;
      return cb;
    },
  );
  b = make(
    () => a,
    (cb) => (aWaiting = cb),
    () => {
      const cb = bWaiting;
      bWaiting = undefined;
      return cb;
    },
  );
  return [a, b];
}

/**
 * A transport with no socket: dial() and the listener's connection are the two ends of an
 * in-memory stream pair. The standalone mode's embedded replica reaches its router this
 * way, and protocol tests run on it without ports. One listener at a time.
 */
export class InProcessTransport implements Transport {
  readonly kind = 'in-process';
  private onLink: ((link: Link) => void) | undefined;
  private next = 0;

  constructor(readonly name = 'in-process') {}

  listen(onLink: (link: Link) => void): Promise<Listener> {
    if (this.onLink) return Promise.reject(new KvndbError(ErrorCode.BAD_REQUEST, `${this.name} already has a listener`));
    this.onLink = onLink;
    return Promise.resolve({
      address: { host: this.name, port: 0 },
      close: () => {
        this.onLink = undefined;
        return Promise.resolve();
      },
    });
  }

  dial(): Promise<Link> {
    const onLink = this.onLink;
    if (!onLink) {
      return Promise.reject(KvndbError.connectionClosed(`cannot connect to ${this.name}: nothing is listening on it`));
    }
    const [near, far] = duplexPair();
    const id = ++this.next;
    // The listener learns of the connection on the next turn, as it would from a socket.
    process.nextTick(() => onLink({ stream: far, address: `${this.name}#${id}`, inProcess: true }));
    return Promise.resolve({ stream: near, address: this.name, inProcess: true });
  }
}
