import { Op, type TxnOp } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { indexArg } from './list-args';
import { key, type RespCommand } from './resp-command';

/** LSET key index element: native LSET (op 'ls'); ERR no such key, ERR index out of range. */
export const lset: RespCommand = {
  name: 'lset',
  arity: [4, 4],
  run: (s, args, done) => s.call([Op.LSET, 0, key(args[1]), indexArg(args[2]), args[3]], done, () => R.OK),
  toOps: (args) => ({ ops: [['ls', key(args[1]), indexArg(args[2]), args[3]] as TxnOp], reply: () => R.OK }),
};
