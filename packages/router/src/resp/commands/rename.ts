import { Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { key, type RespCommand } from './resp-command';

/** RENAME key newkey: native MOVE; OK, or `ERR no such key` (resp-encoder.errorReply). */
export const rename: RespCommand = {
  name: 'rename',
  arity: [3, 3],
  run: (s, args, done) => s.call([Op.MOVE, 0, key(args[1]), key(args[2]), {}], done, () => R.OK),
};

/** RENAMENX key newkey: native MOVE with nx; 1 when renamed, 0 when newkey exists. */
export const renamenx: RespCommand = {
  name: 'renamenx',
  arity: [3, 3],
  run: (s, args, done) => s.call([Op.MOVE, 0, key(args[1]), key(args[2]), { nx: true }], done, (r) => R.integer(r === true ? 1 : 0)),
};
