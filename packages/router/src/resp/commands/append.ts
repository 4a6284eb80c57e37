import { ErrorCode, KvndbError, Op, STRING_TOO_LONG } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { key, type RespCommand } from './resp-command';

/**
 * A value past kvndb's value limit is what Redis refuses past proto-max-bulk-len, so the
 * door answers TOO_LARGE in Redis's words (APPEND and SETRANGE).
 */
export function tooLongInRedisWords(err: unknown): Buffer {
  if (err instanceof KvndbError && err.code === ErrorCode.TOO_LARGE) return R.error(`ERR ${STRING_TOO_LONG}`);
  return R.errorReply(err);
}

/** APPEND key value: native APPEND; the new length. */
export const append: RespCommand = {
  name: 'append',
  arity: [3, 3],
  run: (s, args, done) => {
    s.request([Op.APPEND, 0, key(args[1]), args[2]]).then(
      (n) => done(R.integer(n as number)),
      (err) => done(tooLongInRedisWords(err)),
    );
  },
};
