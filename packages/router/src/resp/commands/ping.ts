import * as R from '../resp-encoder';
import type { RespCommand } from './resp-command';

/** PING [message]: PONG, or the message. Answered by the door itself, also before AUTH. */
export const ping: RespCommand = {
  name: 'ping',
  arity: [1, 2],
  preAuth: true,
  run: (_s, args, done) => done(args.length === 2 ? R.bulk(args[1]) : R.PONG),
};
