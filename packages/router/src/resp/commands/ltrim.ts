import { Op, type TxnOp } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { indexArg } from './list-args';
import { key, type RespCommand } from './resp-command';

/** LTRIM key start stop: native LTRIM (op 'lt'). */
export const ltrim: RespCommand = {
  name: 'ltrim',
  arity: [4, 4],
  run: (s, args, done) => s.call([Op.LTRIM, 0, key(args[1]), indexArg(args[2]), indexArg(args[3])], done, () => R.OK),
  toOps: (args) => ({ ops: [['lt', key(args[1]), indexArg(args[2]), indexArg(args[3])] as TxnOp], reply: () => R.OK }),
};
