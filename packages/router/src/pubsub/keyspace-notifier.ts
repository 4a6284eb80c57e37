import type { AppliedWrite } from '../writes/write-sequencer';
import type { PubSubBroker } from './broker';
import { formatNotifyFlags, keyEvents, Notify, notifiesAnything } from './keyspace-events';
import { channelOf } from './subscriber';

/** How the notifier taps the ordered write stream (Router.observeWrites). */
export type ObserveWrites = (observer: (write: AppliedWrite) => void) => () => void;

/**
 * Keyspace notifications (`__keyspace@0__:KEY` -> event, `__keyevent@0__:EVENT` -> key),
 * fed from the ordered write stream: each write once a replica applied it, in seq order,
 * with its results, so events come in the order every replica applies the writes. Off by
 * default; while the flags fire nothing it does not observe writes at all, so the write
 * path pays nothing. While on with nobody subscribed, a write costs one check.
 */
export class KeyspaceNotifier {
  private flags = 0;
  private unobserve: (() => void) | null = null;

  constructor(
    private readonly broker: PubSubBroker,
    private readonly observeWrites: ObserveWrites,
  ) {}

  /** notify-keyspace-events as CONFIG GET shows it. */
  get config(): string {
    return formatNotifyFlags(this.flags);
  }

  /** Whether writes are being observed (the flags fire something). */
  get active(): boolean {
    return this.unobserve !== null;
  }

  /** New flags (keyspace-events.ts parseNotifyFlags): observing starts or stops with them. */
  setFlags(flags: number): void {
    this.flags = flags;
    const on = notifiesAnything(flags);
    if (on && this.unobserve === null) this.unobserve = this.observeWrites(this.onWrite);
    else if (!on && this.unobserve !== null) {
      this.unobserve();
      this.unobserve = null;
    }
  }

  private readonly onWrite = (w: AppliedWrite): void => {
    const broker = this.broker;
    if (broker.idle) return;
    const flags = this.flags;
    for (const e of keyEvents(w.ops, w.results, w.time)) {
      if ((flags & e.type) === 0) continue;
      const key = channelOf(e.key);
      // Redis's order: the keyspace channel, then the keyevent channel.
      if (flags & Notify.KEYSPACE) broker.publish(`__keyspace@0__:${key}`, Buffer.from(e.event, 'latin1'));
      if (flags & Notify.KEYEVENT) broker.publish(`__keyevent@0__:${e.event}`, Buffer.from(key, 'latin1'));
    }
  };
}
