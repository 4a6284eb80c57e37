import { Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { indexArg } from './list-args';
import { key, type RespCommand } from './resp-command';

/** LRANGE key start stop: native LRANGE, read by one replica. */
export const lrange: RespCommand = {
  name: 'lrange',
  arity: [4, 4],
  run: (s, args, done) =>
    s.call([Op.LRANGE, 0, key(args[1]), indexArg(args[2]), indexArg(args[3])], done, (v, proto) => R.array(v as Uint8Array[], proto)),
};
