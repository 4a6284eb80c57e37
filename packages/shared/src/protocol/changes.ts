import { KvndbError } from './errors';
import { describe } from './limits';

/**
 * What a change event says happened to a key (docs/PROTOCOL.md "Change events"):
 * - 'set': its value changed (the value is given when the write op carries it: SET, INCR,
 *   INCRBYFLOAT; not for APPEND, SETRANGE, RENAME/COPY's target);
 * - 'del': it was removed by a write (DEL, GETDEL, RENAME's source, an expiry in the past);
 * - 'expire': it was removed because its expiry passed (the router's expiry sweep);
 * - 'ttl': its expiry was set or cleared (EXPIRE, PERSIST, GETEX); the value is unchanged;
 * - 'flush': every key was removed (FLUSHALL); key is '' and every watcher receives it;
 * - 'list': the list at the key changed (a push, pop, LREM, LTRIM, LSET, LMOVE; read it if
 *   needed, it may be gone when the change emptied it), or 'del' when a pop took its last item.
 */
export type ChangeType = 'set' | 'del' | 'expire' | 'ttl' | 'flush' | 'list';

export const CHANGE_TYPES: ReadonlySet<string> = new Set(['set', 'del', 'expire', 'ttl', 'flush', 'list']);

/** One change to one key, at the write (epoch, seq) that made it; version is that seq. */
export interface ChangeEvent {
  epoch: number;
  seq: number;
  key: string;
  type: ChangeType;
  /** The new value, for 'set' events whose write carries it. */
  value?: Buffer;
  /** The key's version after the change: the write's seq. */
  version: number;
}

/** One change as the wire carries it inside a write's payload: [type, key, value | nil]. */
export type WireChange = [ChangeType, string, Uint8Array | null];

/**
 * A watch's EVENT payload: the changes one write made to the watched keys, all in one frame
 * (a write's changes are delivered whole, so resuming after a seq repeats and loses nothing).
 */
export type WatchPayload = [epoch: number, seq: number, changes: WireChange[]];

/** The events of one EVENT payload of a watch; throws PROTOCOL_ERROR on a wrong shape. */
export function decodeWatchPayload(payload: unknown): ChangeEvent[] {
  const bad = () => KvndbError.protocol(`watch event payload is ${describe(payload)}, not [epoch, seq, changes[]]`);
  if (!Array.isArray(payload) || payload.length !== 3) throw bad();
  const [epoch, seq, changes] = payload as unknown[];
  if (typeof epoch !== 'number' || typeof seq !== 'number' || !Array.isArray(changes)) throw bad();
  return changes.map((c: unknown) => {
    if (!Array.isArray(c) || !CHANGE_TYPES.has(c[0] as string) || typeof c[1] !== 'string') throw bad();
    const e: ChangeEvent = { epoch, seq, key: c[1], type: c[0] as ChangeType, version: seq };
    // A copy: a view would pin the socket chunk it was decoded from.
    if (c[2] instanceof Uint8Array) e.value = Buffer.from(c[2]);
    return e;
  });
}
