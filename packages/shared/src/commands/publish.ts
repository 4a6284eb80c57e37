import { Op } from '../protocol/opcodes';
import type { Limits } from '../protocol/limits';
import { length } from './answers';
import { checkChannel } from './channels';
import { valueBytes, type Value } from './checks';
import type { Command } from './command';

function request(limits: Limits, [channel, message]: [channel: string, message: Value]): unknown[] {
  checkChannel('PUBLISH channel', channel, limits);
  return [Op.PUBLISH, 0, channel, valueBytes(message, limits)];
}

/**
 * PUBLISH: hands a message to every subscriber of the channel (and of every pattern that
 * matches it) connected now, at any door, and answers how many received it. Not stored: a
 * message nobody is subscribed to is gone, as in Redis.
 */
export const publish = {
  name: 'publish',
  op: Op.PUBLISH,
  arity: [4, 4],
  route: 'router',
  summary: 'send MESSAGE to the subscribers of CHANNEL',
  methods: {
    /** The number of subscribers that received it. Not re-sent after a reconnect (it may have been delivered). */
    publish: { request, decode: length('PUBLISH'), retryable: false },
  },
} as const satisfies Command;
