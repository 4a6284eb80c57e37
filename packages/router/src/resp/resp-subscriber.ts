import { OutputGuard, Subscriber, channelBytes, type PubSubBroker } from '../pubsub';
import * as R from './resp-encoder';

/** What a RESP subscriber needs from its connection. */
export interface PushTarget {
  /** RESP2 or RESP3, as the connection speaks now. */
  readonly proto: R.Proto;
  /** Queue a pushed frame; returns the connection's unsent output in bytes. */
  push(frame: Buffer): number;
  /** Cut the connection off with this reason (the subscriber is already unsubscribed). */
  cutOff(reason: string): void;
}

/**
 * A RESP connection's subscriptions: messages become Redis's `message` / `pmessage` frames
 * (pushes in RESP3, arrays in RESP2) on the connection's reply queue, and a connection that
 * does not read them is cut off by Redis's client-output-buffer-limit pubsub rule.
 */
export class RespSubscriber extends Subscriber {
  private readonly guard = new OutputGuard();

  constructor(
    private readonly broker: PubSubBroker,
    private readonly target: PushTarget,
  ) {
    super();
  }

  message(channel: string, payload: Buffer): void {
    this.deliver(R.push(['message', channelBytes(channel), payload], this.target.proto));
  }

  pmessage(pattern: string, channel: string, payload: Buffer): void {
    this.deliver(R.push(['pmessage', channelBytes(pattern), channelBytes(channel), payload], this.target.proto));
  }

  private deliver(frame: Buffer): void {
    const unsent = this.target.push(frame);
    const why = this.guard.check(unsent, this.broker.outputLimit);
    if (why === null) return;
    this.broker.unsubscribeAll(this);
    this.target.cutOff(why);
  }
}
