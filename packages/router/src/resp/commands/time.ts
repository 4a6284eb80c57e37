import * as R from '../resp-encoder';
import type { RespCommand } from './resp-command';

/** TIME: the router's clock, as Redis answers it: seconds and microseconds, two bulk strings. */
export const time: RespCommand = {
  name: 'time',
  arity: [1, 1],
  run: (_s, _args, done) => {
    const ms = Date.now();
    done(R.array([String(Math.floor(ms / 1000)), String((ms % 1000) * 1000)]));
  },
};
