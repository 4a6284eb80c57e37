import {
  KvndbError,
  Op,
  decodeSubscribed,
  decodeUnsubscribed,
  describe,
  subscribeRequest,
  unsubscribeRequest,
  type Limits,
  type PubSubMessage,
} from '@kvndb/shared';
/** What a subscription's stream events are handed to: the EVENT's payload, [kind, ...fields]. */
export type SubscriptionEvents = (payload: unknown[]) => void;

/** What the subscriptions need from the client. */
export interface SubscriptionHost {
  readonly limits: Limits;
  /** Send a request opening a stream; `onEvent` is registered under its id before it leaves. */
  openStream(msg: unknown[], onEvent: SubscriptionEvents): { id: number; answer: Promise<unknown> };
  /** Stop routing a stream's events. */
  closeStream(id: number): void;
  /** Send a plain request. */
  request(msg: unknown[]): Promise<unknown>;
  readonly connected: boolean;
  /** A handler threw (handlerThrew), or resubscribing failed: reported as the client reports errors. */
  report(err: unknown, handlerThrew: boolean): void;
}

/** The handle subscribe() and psubscribe() resolve with. */
export class Subscription {
  /** Set while its SUBSCRIBE is waiting for an answer (the client re-sends that one itself after a reconnect). */
  pending = false;
  /** That SUBSCRIBE's answer, settled either way. */
  opening: Promise<void> = Promise.resolve();
  streamId = 0;
  private ended = false;

  constructor(
    private readonly owner: Subscriptions,
    /** 'channels' (SUBSCRIBE) or 'patterns' (PSUBSCRIBE). */
    readonly kind: 'channels' | 'patterns',
    readonly names: readonly string[],
    readonly onMessage: (message: PubSubMessage) => void,
  ) {}

  /** False once unsubscribe() was called. */
  get active(): boolean {
    return !this.ended;
  }

  /** Stop receiving; no message is handed over after this is called. */
  async unsubscribe(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.owner.end(this);
  }
}

/**
 * The client's pub/sub subscriptions. Each is a stream of the connection; after a reconnect
 * every subscription is made again (messages published while disconnected are not
 * delivered: pub/sub stores nothing, as in Redis).
 */
export class Subscriptions {
  private readonly active = new Set<Subscription>();

  constructor(private readonly host: SubscriptionHost) {}

  /** Subscribe; resolves once the router has answered. */
  async subscribe(kind: 'channels' | 'patterns', names: string[], onMessage: (message: PubSubMessage) => void): Promise<Subscription> {
    const op = kind === 'channels' ? Op.SUBSCRIBE : Op.PSUBSCRIBE;
    const msg = subscribeRequest(op, [...names], this.host.limits);
    const sub = new Subscription(this, kind, [...names], onMessage);
    this.active.add(sub);
    try {
      await this.open(sub, msg);
    } catch (err) {
      this.active.delete(sub);
      this.host.closeStream(sub.streamId);
      throw err;
    }
    return sub;
  }

  /** The client is connected again: every subscription answered before is made anew. */
  reconnected(): void {
    for (const sub of this.active) {
      if (sub.pending) continue;
      this.host.closeStream(sub.streamId);
      const op = sub.kind === 'channels' ? Op.SUBSCRIBE : Op.PSUBSCRIBE;
      this.open(sub, [op, 0, sub.names]).catch((err: unknown) => {
        // Not subscribed on this connection: the next reconnect tries again.
        if (!sub.active) return;
        const code = err instanceof KvndbError ? err.code : 'INTERNAL';
        this.host.report(new KvndbError(code, `resubscribing to ${sub.names.join(', ')} failed: ${(err as Error).message}`, { cause: err }), false);
      });
    }
  }

  async end(sub: Subscription): Promise<void> {
    this.active.delete(sub);
    this.host.closeStream(sub.streamId);
    // A (re)subscription in flight is ended once the router has made it.
    if (sub.pending) await sub.opening;
    // On a lost connection the router has ended the stream already.
    if (!this.host.connected) return;
    decodeUnsubscribed(await this.host.request(unsubscribeRequest(sub.streamId)));
  }

  private async open(sub: Subscription, msg: unknown[]): Promise<void> {
    sub.pending = true;
    const { id, answer } = this.host.openStream(msg, (payload) => this.deliver(sub, payload));
    sub.streamId = id;
    const settled = answer.then((v) => {
      decodeSubscribed(v);
    });
    sub.opening = settled.then(
      () => undefined,
      () => undefined,
    );
    try {
      await settled;
    } finally {
      sub.pending = false;
    }
  }

  private deliver(sub: Subscription, payload: unknown[]): void {
    if (!sub.active) return;
    const m = toMessage(payload);
    try {
      sub.onMessage(m);
    } catch (err) {
      this.host.report(err, true);
    }
  }
}

function bytes(v: unknown): Buffer {
  if (!(v instanceof Uint8Array)) throw KvndbError.protocol(`a pub/sub message's bytes are ${describe(v)}`);
  // A copy: decoded bytes are views into the chunk they arrived in.
  return Buffer.from(v);
}

/** [message, channel, bytes] or [pmessage, pattern, channel, bytes]; PROTOCOL_ERROR otherwise. */
export function toMessage(payload: unknown[]): PubSubMessage {
  const [kind] = payload;
  if (kind === 'message' && payload.length === 3 && typeof payload[1] === 'string') {
    return { channel: payload[1], message: bytes(payload[2]) };
  }
  if (kind === 'pmessage' && payload.length === 4 && typeof payload[1] === 'string' && typeof payload[2] === 'string') {
    return { pattern: payload[1], channel: payload[2], message: bytes(payload[3]) };
  }
  throw KvndbError.protocol(`unexpected pub/sub event ${describe(payload)}`);
}
