import { KvndbError } from '../protocol/errors';
import { describe, type Limits } from '../protocol/limits';
import { checkKeyLength } from './checks';

/**
 * Channel and pattern names of the pub/sub commands: strings (sent as their UTF-8 bytes),
 * each within the key limit; the empty name is a channel like any other, as in Redis.
 */
export function checkChannel(what: string, v: unknown, limits: Limits): asserts v is string {
  if (typeof v !== 'string') throw KvndbError.badRequest(`${what} must be a string, got ${describe(v)}`);
  checkKeyLength(what, v, limits);
}

/** A list of them; `nonEmpty` for SUBSCRIBE and PSUBSCRIBE (Redis's arity). */
export function checkChannels(what: string, v: unknown, limits: Limits, nonEmpty: boolean): asserts v is string[] {
  if (!Array.isArray(v)) throw KvndbError.badRequest(`${what} needs an array of names, got ${describe(v)}`);
  if (nonEmpty && v.length === 0) throw KvndbError.badRequest(`${what} needs at least one name`);
  for (const c of v) checkChannel(what, c, limits);
}

/** A message event of a subscription stream, as the client hands it over. */
export interface PubSubMessage {
  /** The channel the message was published on. */
  channel: string;
  /** The pattern it matched (PSUBSCRIBE streams only). */
  pattern?: string;
  message: Buffer;
}
