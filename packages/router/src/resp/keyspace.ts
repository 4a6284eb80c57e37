import { Op } from '@kvndb/shared';
import type { RespSession } from './resp-session';

/** What DBSIZE and INFO's `# Keyspace` say about database 0. */
export interface KeyspaceCounts {
  keys: number;
  /** Keys with an expiry: expiringKeys() below. */
  expires: number;
}

/** The number of keys, counted over native KEYS pages (an in-sync replica's keys). */
export async function countKeys(s: RespSession): Promise<number> {
  let n = 0;
  let cursor: string | null = null;
  do {
    const [keys, next] = (await s.request([Op.KEYS, 0, '', 10000, cursor])) as [string[], string | null];
    n += keys.length;
    cursor = next;
  } while (cursor);
  return n;
}

/**
 * The number of keys that have an expiry: INFO's `expires=`. Always 0 today: kvndb keys do
 * not expire yet. When expiry lands in the data model, count them here (one native request)
 * and INFO reports it; nothing else in the RESP door needs to change.
 */
export async function expiringKeys(_s: RespSession): Promise<number> {
  return 0;
}

export async function keyspaceCounts(s: RespSession): Promise<KeyspaceCounts> {
  const [keys, expires] = await Promise.all([countKeys(s), expiringKeys(s)]);
  return { keys, expires };
}
