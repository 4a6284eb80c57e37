import { Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { key, type RespCommand } from './resp-command';

/** EXISTS key [key ...]: how many of the keys exist (a native MGET). */
export const exists: RespCommand = {
  name: 'exists',
  arity: [2, Infinity],
  run: (s, args, done) => {
    const keys = args.slice(1).map(key);
    s.call([Op.MGET, 0, keys], done, (values) => R.integer((values as unknown[]).filter((v) => v !== null && v !== undefined).length));
  },
  // Inside MULTI a read of each key: the transaction has no existence read of its own.
  toOps: (args) => ({
    ops: args.slice(1).map((a) => ['G', key(a)]),
    reply: (values) => R.integer(values.filter((v) => v !== null && v !== undefined).length),
  }),
};
