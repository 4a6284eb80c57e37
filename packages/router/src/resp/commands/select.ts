import * as R from '../resp-encoder';
import type { RespCommand } from './resp-command';

/** SELECT 0: kvndb has one keyspace, database 0. */
export const select: RespCommand = {
  name: 'select',
  arity: [2, 2],
  run: (_s, args, done) => done(args[1].toString() === '0' ? R.OK : R.error('ERR DB index is out of range (kvndb has one keyspace)')),
};
