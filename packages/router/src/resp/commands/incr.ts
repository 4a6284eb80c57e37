import { Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { int64, NOT_AN_INTEGER } from './integer-arg';
import { key, type Done, type RespCommand } from './resp-command';
import type { RespSession } from '../resp-session';

const INT64_MIN = -9223372036854775808n;

/**
 * Native INCR over the whole int64 range (not the client's 2^53 `safe` range: Redis
 * counters go to 2^63 - 1). The replicas compute it at the write's position, so concurrent
 * increments never lose one; a value that is not an integer answers Redis's
 * `ERR value is not an integer or out of range`, a result past int64
 * `ERR increment or decrement would overflow` (resp-encoder.errorReply), changing nothing.
 */
function incrBy(s: RespSession, keyArg: Buffer, delta: bigint, done: Done): void {
  s.call([Op.INCR, 0, key(keyArg), delta.toString()], done, (n) => R.integer(n as number));
}

/** INCR key */
export const incr: RespCommand = { name: 'incr', arity: [2, 2], run: (s, args, done) => incrBy(s, args[1], 1n, done) };

/** DECR key */
export const decr: RespCommand = { name: 'decr', arity: [2, 2], run: (s, args, done) => incrBy(s, args[1], -1n, done) };

/** INCRBY key increment */
export const incrby: RespCommand = {
  name: 'incrby',
  arity: [3, 3],
  run: (s, args, done) => {
    const n = int64(args[2]);
    if (n === undefined) done(R.error(NOT_AN_INTEGER));
    else incrBy(s, args[1], n, done);
  },
};

/** DECRBY key decrement */
export const decrby: RespCommand = {
  name: 'decrby',
  arity: [3, 3],
  run: (s, args, done) => {
    const n = int64(args[2]);
    if (n === undefined) done(R.error(NOT_AN_INTEGER));
    // -(-2^63) is not an int64: Redis's own words for it.
    else if (n === INT64_MIN) done(R.error('ERR decrement would overflow'));
    else incrBy(s, args[1], -n, done);
  },
};
