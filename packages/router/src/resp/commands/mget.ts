import { Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { key, type RespCommand } from './resp-command';

/** MGET key [key ...]: native MGET. */
export const mget: RespCommand = {
  name: 'mget',
  arity: [2, Infinity],
  run: (s, args, done) => s.call([Op.MGET, 0, args.slice(1).map(key)], done, (values, proto) => R.array(values as Array<Uint8Array | null>, proto)),
  toOps: (args) => ({
    ops: args.slice(1).map((a) => ['G', key(a)]),
    reply: (values, proto) => R.array(values as Array<Uint8Array | null>, proto),
  }),
};
