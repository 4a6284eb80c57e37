import * as R from '../resp-encoder';
import type { RespCommand } from './resp-command';

/**
 * PING [message]: PONG, or the message. Answered by the door itself, also before AUTH. In
 * RESP2's subscribed mode, where a reply must look like a message, Redis answers
 * ["pong", message or ""].
 */
export const ping: RespCommand = {
  name: 'ping',
  arity: [1, 2],
  preAuth: true,
  whenSubscribed: true,
  run: (s, args, done) => {
    if (s.proto === 2 && s.subscriptionCount > 0) done(R.array(['pong', args.length === 2 ? args[1] : ''], 2));
    else done(args.length === 2 ? R.bulk(args[1]) : R.PONG);
  },
};
