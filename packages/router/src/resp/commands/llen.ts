import { Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { key, type RespCommand } from './resp-command';

/** LLEN key: native LLEN; 0 for a missing key, WRONGTYPE for a string. */
export const llen: RespCommand = {
  name: 'llen',
  arity: [2, 2],
  run: (s, args, done) => s.call([Op.LLEN, 0, key(args[1])], done, (n) => R.integer(n as number)),
};
