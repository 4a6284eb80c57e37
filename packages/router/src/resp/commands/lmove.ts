import { Op, type TxnOp } from '@kvndb/shared';
import { sideArg } from './list-args';
import { key, toBulk, type RespCommand } from './resp-command';

/** LMOVE source destination LEFT|RIGHT LEFT|RIGHT: native LMOVE (op 'lm'), one ordered write. */
export const lmove: RespCommand = {
  name: 'lmove',
  arity: [5, 5],
  run: (s, args, done) => s.call([Op.LMOVE, 0, key(args[1]), key(args[2]), sideArg(args[3]), sideArg(args[4])], done, toBulk),
  toOps: (args) => ({
    ops: [['lm', key(args[1]), key(args[2]), sideArg(args[3]), sideArg(args[4])] as TxnOp],
    reply: ([v], proto) => toBulk(v, proto),
  }),
};
