import { Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { clampedIndex, int64, NOT_AN_INTEGER } from './integer-arg';
import { key, type Handler, type RespCommand } from './resp-command';

/** Native GETRANGE: a bulk string, empty (never nil) for a missing key, as Redis answers. */
const getRange: Handler = (s, args, done) => {
  const start = int64(args[2]);
  const end = int64(args[3]);
  if (start === undefined || end === undefined) {
    done(R.error(NOT_AN_INTEGER));
    return;
  }
  s.call([Op.GETRANGE, 0, key(args[1]), clampedIndex(start), clampedIndex(end)], done, (v) => R.bulk((v as Uint8Array | null) ?? ''));
};

/** GETRANGE key start end */
export const getrange: RespCommand = { name: 'getrange', arity: [4, 4], run: getRange };

/** SUBSTR key start end: GETRANGE's old name, which Redis keeps. */
export const substr: RespCommand = { name: 'substr', arity: [4, 4], run: getRange };
