import { Op, type TxnCompare } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { pairs } from './mset';
import type { RespCommand } from './resp-command';

/**
 * MSETNX key value [key value ...]: a one-command transaction: if every key is absent, set
 * them all (1), else set none (0). No form inside MULTI: that would nest a transaction.
 */
export const msetnx: RespCommand = {
  name: 'msetnx',
  arity: [3, Infinity],
  run: (s, args, done) => {
    const kv = pairs(args);
    const ifs: TxnCompare[] = kv.map(([k]) => ['e', k, false]);
    s.call([Op.TXN, 0, ifs, kv.map(([k, v]) => ['s', k, v]), []], done, (r) => R.integer((r as [boolean, unknown[]])[0] ? 1 : 0));
  },
};
