import { Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { key, type Handler, type RespCommand, type TxnPart } from './resp-command';

/** One native BATCH of deletes, answered with how many keys existed. */
const deleteKeys: Handler = (s, args, done) => {
  const ops = args.slice(1).map((a) => ['d', key(a)]);
  s.call([Op.BATCH, 0, ops], done, (results) => R.integer((results as unknown[]).filter((r) => r === true).length));
};

/** Inside MULTI: a delete op per key, answered with how many existed. */
const deleteOps = (args: Buffer[]): TxnPart => ({
  ops: args.slice(1).map((a) => ['d', key(a)]),
  reply: (results) => R.integer(results.filter((r) => r === true).length),
});

/** DEL key [key ...]: the number of keys deleted. */
export const del: RespCommand = { name: 'del', arity: [2, Infinity], run: deleteKeys, toOps: deleteOps };

/** UNLINK key [key ...]: the same as DEL (a kvndb delete frees nothing later). */
export const unlink: RespCommand = { name: 'unlink', arity: [2, Infinity], run: deleteKeys, toOps: deleteOps };
