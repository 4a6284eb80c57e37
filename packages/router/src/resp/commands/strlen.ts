import { Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { key, type RespCommand } from './resp-command';

/** STRLEN key: native STRLEN; 0 for a missing key. */
export const strlen: RespCommand = {
  name: 'strlen',
  arity: [2, 2],
  run: (s, args, done) => s.call([Op.STRLEN, 0, key(args[1])], done, (n) => R.integer(n as number)),
};
