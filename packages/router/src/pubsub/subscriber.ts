/**
 * One connection's side of pub/sub, as the broker sees it: the channels and patterns it
 * subscribed to (the broker keeps both sets, the door reads them for its counts) and where
 * its messages go. Channels and patterns are byte strings, one char per byte (latin1), so a
 * RESP client's binary channel names pass through unchanged.
 */
export abstract class Subscriber {
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();

  /** Channels plus patterns: what Redis's (un)subscribe replies count. */
  get count(): number {
    return this.channels.size + this.patterns.size;
  }

  /** A message published on `channel`, which this subscriber subscribed to. */
  abstract message(channel: string, payload: Buffer): void;
  /** A message published on `channel`, which matched `pattern`. */
  abstract pmessage(pattern: string, channel: string, payload: Buffer): void;
}

/** A channel as the broker keeps it, from a native client's UTF-8 string. */
export function channelOf(name: string): string {
  return Buffer.from(name, 'utf8').toString('latin1');
}

/** A channel or pattern the broker kept, as bytes. */
export function channelBytes(channel: string): Buffer {
  return Buffer.from(channel, 'latin1');
}
