import { Op } from '@kvndb/shared';
import type { RespSession } from './resp-session';

/** What DBSIZE and INFO's `# Keyspace` say about database 0. */
export interface KeyspaceCounts {
  keys: number;
  /** Keys with an expiry. */
  expires: number;
}

/**
 * One native COUNT read: an in-sync replica's key count and expiring-key count as its store
 * keeps them, without paging through the keys. Like Redis's DBSIZE, keys that expired but
 * are not removed yet still count; the router's sweeps remove them within moments.
 */
export async function keyspaceCounts(s: RespSession): Promise<KeyspaceCounts> {
  const [keys, expires] = (await s.request([Op.COUNT, 0])) as [number, number];
  return { keys, expires };
}

export async function countKeys(s: RespSession): Promise<number> {
  return (await keyspaceCounts(s)).keys;
}
