import { Op } from '@kvndb/shared';
import { key, toBulk, type RespCommand } from './resp-command';

/** GETDEL key: native GETDEL; the value it held, or nil. */
export const getdel: RespCommand = {
  name: 'getdel',
  arity: [2, 2],
  run: (s, args, done) => s.call([Op.GETDEL, 0, key(args[1])], done, toBulk),
};
