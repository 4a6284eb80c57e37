import { globMatch } from './glob-match';
import { DEFAULT_PUBSUB_OUTPUT_LIMIT, type OutputLimit } from './output-limit';
import type { Subscriber } from './subscriber';

/**
 * The router's pub/sub broker, shared by every door: channels and glob patterns (Redis's
 * rules, glob-match.ts), and PUBLISH passing each message straight to the subscribers
 * connected now. Nothing is stored, as in Redis: a message nobody is subscribed to is gone,
 * and one a subscriber cannot take in goes to its bounded output (output-limit.ts), never
 * to a queue here. PUBLISH answers the number of receivers (a subscriber reached through a
 * channel and a pattern counts twice, as in Redis).
 */
export class PubSubBroker {
  private readonly byChannel = new Map<string, Set<Subscriber>>();
  private readonly byPattern = new Map<string, Set<Subscriber>>();
  /** Redis's client-output-buffer-limit for the pubsub class; CONFIG SET changes it for every subscriber. */
  outputLimit: OutputLimit = { ...DEFAULT_PUBSUB_OUTPUT_LIMIT };

  /** Subscribe `sub` to `channel`; false when it already was. */
  subscribe(sub: Subscriber, channel: string): boolean {
    if (sub.channels.has(channel)) return false;
    sub.channels.add(channel);
    add(this.byChannel, channel, sub);
    return true;
  }

  /** False when `sub` was not subscribed to `channel`. */
  unsubscribe(sub: Subscriber, channel: string): boolean {
    if (!sub.channels.delete(channel)) return false;
    remove(this.byChannel, channel, sub);
    return true;
  }

  psubscribe(sub: Subscriber, pattern: string): boolean {
    if (sub.patterns.has(pattern)) return false;
    sub.patterns.add(pattern);
    add(this.byPattern, pattern, sub);
    return true;
  }

  punsubscribe(sub: Subscriber, pattern: string): boolean {
    if (!sub.patterns.delete(pattern)) return false;
    remove(this.byPattern, pattern, sub);
    return true;
  }

  /** The connection closed (or RESET): every channel and pattern of `sub`. */
  unsubscribeAll(sub: Subscriber): void {
    for (const c of sub.channels) remove(this.byChannel, c, sub);
    for (const p of sub.patterns) remove(this.byPattern, p, sub);
    sub.channels.clear();
    sub.patterns.clear();
  }

  /**
   * Deliver `payload` to the subscribers of `channel`, then to those of every matching
   * pattern (Redis's order); returns how many deliveries were made.
   */
  publish(channel: string, payload: Buffer): number {
    let receivers = 0;
    const direct = this.byChannel.get(channel);
    if (direct !== undefined) {
      // A copy: a subscriber cut off during delivery leaves the set.
      for (const sub of [...direct]) {
        sub.message(channel, payload);
        receivers++;
      }
    }
    if (this.byPattern.size > 0) {
      for (const [pattern, subs] of [...this.byPattern]) {
        if (!globMatch(pattern, channel)) continue;
        for (const sub of [...subs]) {
          sub.pmessage(pattern, channel, payload);
          receivers++;
        }
      }
    }
    return receivers;
  }

  /** True when nobody at all is subscribed: keyspace notifications skip building messages. */
  get idle(): boolean {
    return this.byChannel.size === 0 && this.byPattern.size === 0;
  }

  /** PUBSUB CHANNELS [pattern]: channels with at least one subscriber (patterns not counted). */
  channels(pattern?: string): string[] {
    const out: string[] = [];
    for (const c of this.byChannel.keys()) if (pattern === undefined || globMatch(pattern, c)) out.push(c);
    return out;
  }

  /** PUBSUB NUMSUB: subscribers of `channel` (patterns not counted). */
  numsub(channel: string): number {
    return this.byChannel.get(channel)?.size ?? 0;
  }

  /** PUBSUB NUMPAT: distinct patterns subscribed to, by anyone. */
  numpat(): number {
    return this.byPattern.size;
  }
}

function add(map: Map<string, Set<Subscriber>>, name: string, sub: Subscriber): void {
  let set = map.get(name);
  if (set === undefined) map.set(name, (set = new Set()));
  set.add(sub);
}

function remove(map: Map<string, Set<Subscriber>>, name: string, sub: Subscriber): void {
  const set = map.get(name);
  if (set === undefined) return;
  set.delete(sub);
  if (set.size === 0) map.delete(name);
}
