import { Op, type TxnOp } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { key, wrongArity, type RespCommand } from './resp-command';

/** MSET key value [key value ...]: native MSET, one atomic write. */
export const mset: RespCommand = {
  name: 'mset',
  arity: [3, Infinity],
  run: (s, args, done) => {
    if (args.length % 2 === 0) {
      done(wrongArity(args));
      return;
    }
    const entries: Array<[string, Buffer]> = [];
    for (let i = 1; i < args.length; i += 2) entries.push([key(args[i]), args[i + 1]]);
    s.call([Op.MSET, 0, entries], done, () => R.OK);
  },
  toOps: (args) => ({ ops: pairs(args).map(([k, v]): TxnOp => ['s', k, v]), reply: () => R.OK }),
};

/** The key/value pairs of MSET or MSETNX; an odd count is Redis's arity error. */
export function pairs(args: Buffer[]): Array<[string, Buffer]> {
  if (args.length % 2 === 0) throw new Error(`wrong number of arguments for '${args[0].toString().toLowerCase()}' command`);
  const out: Array<[string, Buffer]> = [];
  for (let i = 1; i < args.length; i += 2) out.push([key(args[i]), args[i + 1]]);
  return out;
}
