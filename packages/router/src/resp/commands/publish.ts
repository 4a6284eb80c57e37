import * as R from '../resp-encoder';
import type { RespCommand } from './resp-command';

/** PUBLISH channel message: the number of receivers. Passed through at once, never stored. */
export const publish: RespCommand = {
  name: 'publish',
  arity: [3, 3],
  run: (s, args, done) => done(R.integer(s.server.backend.pubsub.publish(args[1].toString('latin1'), args[2]))),
};
