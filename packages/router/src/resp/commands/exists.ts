import { Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { key, type RespCommand } from './resp-command';

/**
 * EXISTS key [key ...]: how many of the keys exist, whatever they hold (a native MGET with
 * metadata, where a list shows as nil, would miss lists). One key: a native HAS; several:
 * one HAS each, in parallel.
 */
export const exists: RespCommand = {
  name: 'exists',
  arity: [2, Infinity],
  run: (s, args, done) => {
    const keys = args.slice(1).map(key);
    if (keys.length === 1) {
      s.call([Op.HAS, 0, keys[0]], done, (v) => R.integer(v === true ? 1 : 0));
      return;
    }
    Promise.all(keys.map((k) => s.request([Op.HAS, 0, k]))).then(
      (found) => done(R.integer(found.filter((v) => v === true).length)),
      (err) => done(R.errorReply(err)),
    );
  },
  // Inside MULTI an existence read of each key ('H').
  toOps: (args) => ({
    ops: args.slice(1).map((a) => ['H', key(a)]),
    reply: (values) => R.integer(values.filter((v) => v === true).length),
  }),
};
