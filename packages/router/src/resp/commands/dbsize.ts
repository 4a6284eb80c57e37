import * as R from '../resp-encoder';
import { countKeys } from '../keyspace';
import type { RespCommand } from './resp-command';

/** DBSIZE: the number of keys, from one native COUNT read. */
export const dbsize: RespCommand = {
  name: 'dbsize',
  arity: [1, 1],
  run: (s, _args, done) => {
    countKeys(s).then(
      (n) => done(R.integer(n)),
      (err) => done(R.errorReply(err)),
    );
  },
};
