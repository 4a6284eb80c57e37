import {
  ErrorCode,
  KvndbError,
  Op,
  checkChannel,
  checkChannels,
  describe,
  toKvndbError,
  type Limits,
  type Logger,
} from '@kvndb/shared';
import { isStreamSink, type ReplySink, type StreamSink } from '../requests/reply-sink';
import type { PubSubBroker } from './broker';
import { OutputGuard } from './output-limit';
import { Subscriber, channelOf } from './subscriber';

/** Channel and pattern names as native clients get them: UTF-8 (a RESP client's other bytes become U+FFFD). */
const text = (name: string): string => Buffer.from(name, 'latin1').toString('utf8');

/**
 * One native subscription stream (one SUBSCRIBE or PSUBSCRIBE request): its messages are
 * pushed as [EVENT, streamId, 'message', channel, bytes] or [..., 'pmessage', pattern,
 * channel, bytes], and a connection that does not read them is cut off by Redis's
 * client-output-buffer-limit pubsub rule, as at the RESP door.
 */
class NativeSubscriber extends Subscriber {
  private readonly guard = new OutputGuard();

  constructor(
    private readonly broker: PubSubBroker,
    private readonly sink: StreamSink,
    readonly streamId: number,
    private readonly onCut: () => void,
    private readonly logger: Logger,
  ) {
    super();
  }

  message(channel: string, payload: Buffer): void {
    this.deliver(['message', text(channel), payload]);
  }

  pmessage(pattern: string, channel: string, payload: Buffer): void {
    this.deliver(['pmessage', text(pattern), text(channel), payload]);
  }

  private deliver(payload: unknown[]): void {
    let unsent: number;
    try {
      unsent = this.sink.event(this.streamId, payload);
    } catch (err) {
      // Only a message over this connection's frame limit (a huge one from the RESP door): skipped for it alone.
      this.logger.warn(`a pub/sub message for stream ${this.streamId} was not sent: ${toKvndbError(err).message}`);
      return;
    }
    const why = this.guard.check(unsent, this.broker.outputLimit);
    if (why === null) return;
    this.onCut();
    this.sink.cutOff(KvndbError.tooLarge(`subscriber cut off: ${why}`));
  }
}

/**
 * The native door's pub/sub requests (SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE, PUBLISH,
 * PUBSUB_CHANNELS, PUBSUB_NUMSUB): each subscription is a stream of its connection, named by
 * the id of the request that opened it, and ends with UNSUBSCRIBE or the connection.
 */
export class NativePubSub {
  /** Per connection, its subscription streams by id. */
  private readonly streams = new WeakMap<StreamSink, Map<number, NativeSubscriber>>();

  constructor(
    private readonly broker: PubSubBroker,
    private readonly limits: Limits,
    private readonly logger: Logger,
  ) {}

  /** The ops this serves, for the request dispatcher. */
  static readonly OPS = [Op.SUBSCRIBE, Op.PSUBSCRIBE, Op.UNSUBSCRIBE, Op.PUBLISH, Op.PUBSUB_CHANNELS, Op.PUBSUB_NUMSUB] as const;

  /** Run request `msg` ([op, id, ...args]); the answer goes to sink.reply(tag, ...). */
  execute(msg: unknown[], sink: ReplySink, tag: number): void {
    let value: unknown;
    try {
      value = this.run(msg, sink);
    } catch (err) {
      sink.reply(tag, toKvndbError(err));
      return;
    }
    sink.reply(tag, null, value);
  }

  private run(msg: unknown[], sink: ReplySink): unknown {
    const broker = this.broker;
    switch (msg[0]) {
      case Op.PUBLISH: {
        checkChannel('PUBLISH channel', msg[2], this.limits);
        const payload = msg[3];
        if (!(payload instanceof Uint8Array)) throw KvndbError.badRequest(`PUBLISH message must be bytes, got ${describe(payload)}`);
        return broker.publish(channelOf(msg[2]), Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
      }
      case Op.PUBSUB_CHANNELS: {
        const pattern = msg[2];
        if (pattern !== null) checkChannel('PUBSUB CHANNELS pattern', pattern, this.limits);
        return broker.channels(pattern === null ? undefined : channelOf(pattern)).map(text);
      }
      case Op.PUBSUB_NUMSUB: {
        checkChannels('PUBSUB NUMSUB', msg[2], this.limits, false);
        return [msg[2].map((c) => broker.numsub(channelOf(c))), broker.numpat()];
      }
      case Op.SUBSCRIBE:
      case Op.PSUBSCRIBE: {
        const pattern = msg[0] === Op.PSUBSCRIBE;
        checkChannels(pattern ? 'PSUBSCRIBE' : 'SUBSCRIBE', msg[2], this.limits, true);
        if (!isStreamSink(sink)) throw new KvndbError(ErrorCode.NOT_SUPPORTED, 'subscriptions need a connection that carries streams');
        const sub = this.open(sink, msg[1] as number);
        for (const name of msg[2]) {
          if (pattern) broker.psubscribe(sub, channelOf(name));
          else broker.subscribe(sub, channelOf(name));
        }
        return sub.count;
      }
      case Op.UNSUBSCRIBE: {
        const streamId = msg[2];
        if (!Number.isSafeInteger(streamId)) throw KvndbError.badRequest(`UNSUBSCRIBE needs the id of the SUBSCRIBE request, got ${describe(streamId)}`);
        if (!isStreamSink(sink)) return false;
        const mine = this.streams.get(sink);
        const sub = mine?.get(streamId as number);
        if (sub === undefined) return false;
        mine!.delete(sub.streamId);
        broker.unsubscribeAll(sub);
        return true;
      }
    }
    throw new KvndbError(ErrorCode.NOT_SUPPORTED, `opcode ${String(msg[0])} is not a pub/sub request`);
  }

  /** A new stream `id` on `sink`; the connection's close ends every stream it has. */
  private open(sink: StreamSink, id: number): NativeSubscriber {
    let mine = this.streams.get(sink);
    if (mine === undefined) {
      const streams = (mine = new Map());
      this.streams.set(sink, streams);
      sink.onClose(() => {
        for (const s of streams.values()) this.broker.unsubscribeAll(s);
        streams.clear();
        this.streams.delete(sink);
      });
    }
    // A request id reused for a new subscription replaces the stream it named.
    const old = mine.get(id);
    if (old !== undefined) this.broker.unsubscribeAll(old);
    const streams = mine;
    const sub: NativeSubscriber = new NativeSubscriber(this.broker, sink, id, () => {
      for (const s of streams.values()) this.broker.unsubscribeAll(s);
      streams.clear();
    }, this.logger);
    mine.set(id, sub);
    return sub;
  }
}
