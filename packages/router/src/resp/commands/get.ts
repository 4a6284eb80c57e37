import { Op } from '@kvndb/shared';
import { key, toBulk, type RespCommand } from './resp-command';

/** GET key: native GET, for the GETs that do not take the session's fast path (fastGetOrSet). */
export const get: RespCommand = {
  name: 'get',
  arity: [2, 2],
  run: (s, args, done) => s.call([Op.GET, 0, key(args[1])], done, toBulk),
  toOps: (args) => ({ ops: [['G', key(args[1])]], reply: ([value], proto) => toBulk(value, proto) }),
};
