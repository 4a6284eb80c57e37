import { Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import type { RespCommand } from './resp-command';

/**
 * TIME: the router's clock (native TIME), the time expiry is judged against, as Redis
 * answers it: seconds and microseconds, two bulk strings.
 */
export const time: RespCommand = {
  name: 'time',
  arity: [1, 1],
  run: (s, _args, done) =>
    s.call([Op.TIME, 0], done, (v) => {
      const ms = v as number;
      return R.array([String(Math.floor(ms / 1000)), String((ms % 1000) * 1000)]);
    }),
};
