import { Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { key, type RespCommand } from './resp-command';

/** SETNX key value: native SET with the NX flag; 1 if it was set, 0 if the key existed. */
export const setnx: RespCommand = {
  name: 'setnx',
  arity: [3, 3],
  run: (s, args, done) => s.call([Op.SET, 0, key(args[1]), args[2], { nx: true }], done, (r) => R.integer(r === false ? 0 : 1)),
};
