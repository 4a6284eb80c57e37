import { Op } from '@kvndb/shared';
import type { RespSession } from '../resp-session';
import * as R from '../resp-encoder';
import type { RespCommand } from './resp-command';

/** DBSIZE: the number of keys, counted over native KEYS pages. */
export const dbsize: RespCommand = {
  name: 'dbsize',
  arity: [1, 1],
  run: (s, _args, done) => {
    countKeys(s).then(
      (n) => done(R.integer(n)),
      (err) => done(R.errorReply(err)),
    );
  },
};

async function countKeys(s: RespSession): Promise<number> {
  let n = 0;
  let cursor: string | null = null;
  do {
    const [keys, next] = (await s.request([Op.KEYS, 0, '', 10000, cursor])) as [string[], string | null];
    n += keys.length;
    cursor = next;
  } while (cursor);
  return n;
}
