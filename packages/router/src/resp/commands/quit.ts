import * as R from '../resp-encoder';
import type { RespCommand } from './resp-command';

/** QUIT: +OK; the session closes the connection once every earlier reply is written. */
export const quit: RespCommand = {
  name: 'quit',
  runsInMulti: true,
  whenSubscribed: true,
  arity: [1, Infinity],
  preAuth: true,
  run: (_s, _args, done) => done(R.OK),
};
