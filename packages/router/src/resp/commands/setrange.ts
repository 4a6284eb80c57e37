import { Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { tooLongInRedisWords } from './append';
import { clampedIndex, int64, NOT_AN_INTEGER } from './integer-arg';
import { key, type RespCommand } from './resp-command';

/** SETRANGE key offset value: native SETRANGE; the new length. */
export const setrange: RespCommand = {
  name: 'setrange',
  arity: [4, 4],
  run: (s, args, done) => {
    const offset = int64(args[2]);
    if (offset === undefined) done(R.error(NOT_AN_INTEGER));
    else if (offset < 0n) done(R.error('ERR offset is out of range'));
    else {
      // An offset past 2^53 passes the value limit all the same: the router refuses it.
      s.request([Op.SETRANGE, 0, key(args[1]), clampedIndex(offset), args[3]]).then(
        (n) => done(R.integer(n as number)),
        (err) => done(tooLongInRedisWords(err)),
      );
    }
  },
};
