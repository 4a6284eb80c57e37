import { Op, type TxnOp } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { indexArg } from './list-args';
import { key, type RespCommand } from './resp-command';

/** LREM key count element: native LREM (op 'lr'), how many were removed. */
export const lrem: RespCommand = {
  name: 'lrem',
  arity: [4, 4],
  run: (s, args, done) => s.call([Op.LREM, 0, key(args[1]), indexArg(args[2]), args[3]], done, (n) => R.integer(n as number)),
  toOps: (args) => ({ ops: [['lr', key(args[1]), indexArg(args[2]), args[3]] as TxnOp], reply: ([n]) => R.integer(n as number) }),
};
