import { Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { key, type RespCommand } from './resp-command';

const STRING = R.simple('string');
const NONE = R.simple('none');

/** TYPE key: `string` for an existing key (kvndb's values are strings), `none` otherwise. */
export const type: RespCommand = {
  name: 'type',
  arity: [2, 2],
  run: (s, args, done) => s.call([Op.HAS, 0, key(args[1])], done, (exists) => (exists === true ? STRING : NONE)),
};
