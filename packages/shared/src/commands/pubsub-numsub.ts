import { Op } from '../protocol/opcodes';
import type { Limits } from '../protocol/limits';
import { badAnswer } from './answers';
import { checkChannels } from './channels';
import type { Command } from './command';

/** PUBSUB NUMSUB and NUMPAT in one answer. */
export interface SubscriberCounts {
  /** Subscribers of each channel asked about (patterns not counted), by channel. */
  channels: Record<string, number>;
  /** Distinct patterns subscribed to by anyone (PUBSUB NUMPAT). */
  patterns: number;
}

function request(limits: Limits, [channels]: [channels: string[]]): unknown[] {
  checkChannels('PUBSUB NUMSUB', channels, limits, false);
  return [Op.PUBSUB_NUMSUB, 0, channels];
}

const count = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** PUBSUB NUMSUB + NUMPAT: subscribers per channel, and the number of patterns subscribed to. */
export const pubsubNumsub = {
  name: 'pubsub-numsub',
  op: Op.PUBSUB_NUMSUB,
  arity: [3, 3],
  route: 'router',
  summary: 'subscribers of CHANNEL..., and patterns subscribed to',
  methods: {
    pubsubNumsub: {
      request,
      decode(v: unknown, [channels]: [channels: string[]]): SubscriberCounts {
        if (!Array.isArray(v) || v.length !== 2 || !Array.isArray(v[0]) || v[0].length !== channels.length || !v[0].every(count) || !count(v[1])) {
          throw badAnswer('PUBSUB NUMSUB', v);
        }
        const out: Record<string, number> = {};
        channels.forEach((c, i) => (out[c] = (v[0] as number[])[i]));
        return { channels: out, patterns: v[1] };
      },
      retryable: true,
    },
  },
} as const satisfies Command;
