import { Op } from '@kvndb/shared';
import { indexArg } from './list-args';
import { key, toBulk, type RespCommand } from './resp-command';

/** LINDEX key index: native LINDEX; nil outside the list. */
export const lindex: RespCommand = {
  name: 'lindex',
  arity: [3, 3],
  run: (s, args, done) => s.call([Op.LINDEX, 0, key(args[1]), indexArg(args[2])], done, toBulk),
};
