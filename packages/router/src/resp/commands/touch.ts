import { Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { key, type RespCommand } from './resp-command';

/**
 * TOUCH key [key ...]: how many of the keys exist, counted as EXISTS does (a native MGET). A
 * read: Redis's TOUCH updates access times for eviction, which kvndb does not keep.
 */
export const touch: RespCommand = {
  name: 'touch',
  arity: [2, Infinity],
  run: (s, args, done) => {
    const keys = args.slice(1).map(key);
    s.call([Op.MGET, 0, keys], done, (values) => R.integer((values as unknown[]).filter((v) => v !== null && v !== undefined).length));
  },
};
