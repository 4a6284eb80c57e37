import * as R from '../resp-encoder';
import type { RespCommand } from './resp-command';

/** ECHO message: the message. */
export const echo: RespCommand = {
  name: 'echo',
  arity: [2, 2],
  run: (_s, args, done) => done(R.bulk(args[1])),
};
