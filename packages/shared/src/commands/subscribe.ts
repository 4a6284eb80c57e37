import { Op } from '../protocol/opcodes';
import type { Limits } from '../protocol/limits';
import { length } from './answers';
import { checkChannels } from './channels';
import type { Command } from './command';

/**
 * SUBSCRIBE: opens a stream of the messages published on these channels. The answer is the
 * number of channels in the stream; each message then arrives as [EVENT, streamId,
 * ['message', channel, bytes]], streamId being the request's id. The client's subscribe()
 * sends it (client/src/subscriptions.ts), not a plain method: it must route the events.
 */
export const subscribe = {
  name: 'subscribe',
  op: Op.SUBSCRIBE,
  arity: [3, 3],
  route: 'router',
  summary: 'receive the messages published on CHANNEL...',
  methods: {},
} as const satisfies Command;

/** The request of a SUBSCRIBE or PSUBSCRIBE (checked like the router checks it). */
export function subscribeRequest(op: typeof Op.SUBSCRIBE | typeof Op.PSUBSCRIBE, names: string[], limits: Limits): unknown[] {
  checkChannels(op === Op.SUBSCRIBE ? 'SUBSCRIBE' : 'PSUBSCRIBE', names, limits, true);
  return [op, 0, names];
}

/** The answer of a SUBSCRIBE or PSUBSCRIBE: names in the stream. */
export const decodeSubscribed = length('SUBSCRIBE');
