import { Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { key, type RespCommand } from './resp-command';

/** What strtold reads that the replicas do not take as an increment, but Redis does, and then refuses the result. */
const INFINITE = /^[+-]?inf(inity)?$/i;
/** Redis's float syntax, as the native command checks it. */
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * INCRBYFLOAT key increment: native INCRFLOAT; the new value as a bulk string, in the
 * decimal text the replicas stored (never exponent notation), as Redis answers it.
 */
export const incrbyfloat: RespCommand = {
  name: 'incrbyfloat',
  arity: [3, 3],
  run: (s, args, done) => {
    const text = args[2].toString('latin1');
    if (INFINITE.test(text)) {
      done(R.error('ERR increment would produce NaN or Infinity'));
      return;
    }
    if (!FLOAT.test(text) || !Number.isFinite(Number(text))) {
      done(R.error('ERR value is not a valid float'));
      return;
    }
    s.call([Op.INCRFLOAT, 0, key(args[1]), text], done, (v) => R.bulk(v as string));
  },
};
