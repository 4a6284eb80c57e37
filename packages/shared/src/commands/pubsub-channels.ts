import { Op } from '../protocol/opcodes';
import type { Limits } from '../protocol/limits';
import { list, badAnswer } from './answers';
import { checkChannel } from './channels';
import type { Command } from './command';

function request(limits: Limits, [pattern]: [pattern?: string]): unknown[] {
  if (pattern !== undefined) checkChannel('PUBSUB CHANNELS pattern', pattern, limits);
  return [Op.PUBSUB_CHANNELS, 0, pattern ?? null];
}

/** PUBSUB CHANNELS: the channels with at least one subscriber, those matching the pattern if given. */
export const pubsubChannels = {
  name: 'pubsub-channels',
  op: Op.PUBSUB_CHANNELS,
  arity: [3, 3],
  route: 'router',
  summary: 'channels with subscribers (matching PATTERN)',
  methods: {
    pubsubChannels: {
      request,
      decode: (v: unknown): string[] =>
        list('PUBSUB CHANNELS', v, (c) => {
          if (typeof c !== 'string') throw badAnswer('PUBSUB CHANNELS', c);
          return c;
        }),
      retryable: true,
    },
  },
} as const satisfies Command;
