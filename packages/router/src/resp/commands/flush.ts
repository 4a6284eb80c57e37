import { Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import type { Handler, RespCommand } from './resp-command';

/**
 * Native FLUSH: every key removed at one position of the write stream, on every replica.
 * ASYNC and SYNC are both accepted and mean the same: the reply comes once the write is
 * acknowledged, after which no read sees an old key.
 */
const flushKeys: Handler = (s, args, done) => {
  if (args.length > 1) {
    const mode = args[1].toString('latin1').toLowerCase();
    if (args.length > 2 || (mode !== 'async' && mode !== 'sync')) {
      done(R.error('ERR syntax error'));
      return;
    }
  }
  s.call([Op.FLUSH, 0], done, () => R.OK);
};

/** FLUSHDB [ASYNC|SYNC]: kvndb has one keyspace, so the same as FLUSHALL. */
export const flushdb: RespCommand = { name: 'flushdb', arity: [1, Infinity], run: flushKeys };

/** FLUSHALL [ASYNC|SYNC] */
export const flushall: RespCommand = { name: 'flushall', arity: [1, Infinity], run: flushKeys };
