import { Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { key, type RespCommand } from './resp-command';

const STRING = R.simple('string');
const LIST = R.simple('list');
const NONE = R.simple('none');

/** TYPE key: native TYPE; `string`, `list`, or `none` for a missing key. */
export const type: RespCommand = {
  name: 'type',
  arity: [2, 2],
  run: (s, args, done) => s.call([Op.TYPE, 0, key(args[1])], done, (t) => (t === 'list' ? LIST : t === 'string' ? STRING : NONE)),
};
