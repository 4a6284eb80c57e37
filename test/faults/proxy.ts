/**
 * A loopback TCP proxy for one link (a replica -> the router), with Toxiproxy-style faults:
 * - cut: destroy every connection (RST) and refuse new ones until healed;
 * - delay: hold every chunk for `ms` (both directions, order kept);
 * - blackhole: keep the sockets open but forward nothing (reads stop, so TCP flow control
 *   pushes back on the senders, and a close is not passed on either), as a partition does;
 * - heal: back to forwarding; data held by a black hole or a delay is delivered in order.
 */
import net from 'node:net';

export type ProxyMode = 'ok' | 'cut' | 'delay' | 'blackhole';

interface Pipe {
  client: net.Socket;
  upstream: net.Socket;
}

export class FaultProxy {
  private server: net.Server | null = null;
  private readonly pipes = new Set<Pipe>();
  mode: ProxyMode = 'ok';
  delayMs = 0;
  port = 0;
  /** What happened, for the run's log. */
  readonly events: string[] = [];

  /** `targetPort` may be set after construction, before the first connection. */
  constructor(public targetPort: number, private readonly targetHost = '127.0.0.1') {}

  async start(port = 0): Promise<number> {
    const server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  private log(msg: string): void {
    this.events.push(`${new Date().toISOString()} ${msg}`);
  }

  private accept(client: net.Socket): void {
    if (this.mode === 'cut') {
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.targetPort, this.targetHost);
    const pipe: Pipe = { client, upstream };
    this.pipes.add(pipe);
    const close = () => {
      if (!this.pipes.delete(pipe)) return;
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
    this.forward(client, upstream);
    this.forward(upstream, client);
    if (this.mode === 'blackhole') {
      client.pause();
      upstream.pause();
    }
  }

  /**
   * Copy `from` to `to`. Under a delay every chunk waits in one FIFO queue per direction,
   * released in order by a single timer, so bytes are never reordered (reordered chunks
   * would be a proxy bug, not a network fault: TCP never reorders a stream).
   */
  private forward(from: net.Socket, to: net.Socket): void {
    const queue: { chunk: Buffer | null; at: number }[] = [];
    let timer: NodeJS.Timeout | null = null;
    const pump = () => {
      timer = null;
      while (queue.length > 0 && queue[0].at <= Date.now()) {
        const { chunk } = queue.shift()!;
        if (to.destroyed) continue;
        if (chunk === null) to.end();
        else to.write(chunk);
      }
      if (queue.length > 0) timer = setTimeout(pump, Math.max(1, queue[0].at - Date.now()));
    };
    const send = (chunk: Buffer | null) => {
      const delayed = this.mode === 'delay' && this.delayMs > 0;
      if (!delayed && queue.length === 0) {
        if (chunk === null) to.end();
        else if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => {
            if (this.mode !== 'blackhole') from.resume();
          });
        }
        return;
      }
      // Behind earlier delayed chunks (or delayed itself): keep the order.
      const last = queue.length > 0 ? queue[queue.length - 1].at : 0;
      queue.push({ chunk, at: Math.max(last, Date.now() + (delayed ? this.delayMs : 0)) });
      if (timer === null) timer = setTimeout(pump, Math.max(1, queue[0].at - Date.now()));
    };
    from.on('data', (chunk: Buffer) => send(chunk));
    from.on('end', () => send(null));
  }

  /** Destroy every connection and refuse new ones. */
  cut(): void {
    this.mode = 'cut';
    this.log(`cut (${this.pipes.size} connections reset)`);
    for (const p of [...this.pipes]) {
      p.client.resetAndDestroy();
      p.upstream.resetAndDestroy();
      this.pipes.delete(p);
    }
  }

  /** Add `ms` of latency to every chunk, both ways. */
  delay(ms: number): void {
    this.mode = 'delay';
    this.delayMs = ms;
    this.log(`delay ${ms} ms`);
  }

  /** Forward nothing, keep every socket open, accept new connections that go nowhere. */
  blackhole(): void {
    this.mode = 'blackhole';
    this.log(`blackhole (${this.pipes.size} connections held)`);
    for (const p of this.pipes) {
      p.client.pause();
      p.upstream.pause();
    }
  }

  /** Back to normal forwarding. */
  heal(): void {
    const was = this.mode;
    this.mode = 'ok';
    this.delayMs = 0;
    if (was !== 'ok') this.log(`heal (was ${was})`);
    for (const p of this.pipes) {
      p.client.resume();
      p.upstream.resume();
    }
  }

  get connections(): number {
    return this.pipes.size;
  }

  async stop(): Promise<void> {
    for (const p of [...this.pipes]) {
      p.client.destroy();
      p.upstream.destroy();
    }
    this.pipes.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
