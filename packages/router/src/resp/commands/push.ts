import { Op, type TxnOp } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { key, type RespCommand } from './resp-command';

/**
 * LPUSH/RPUSH key value [value ...] and the ...X forms, which only push onto an existing
 * list: native PUSH (op 'L'), the new length.
 */
function pushCommand(name: string, left: boolean, onlyIfList: boolean): RespCommand {
  return {
    name,
    arity: [3, Infinity],
    run: (s, args, done) => s.call([Op.PUSH, 0, key(args[1]), args.slice(2), left, onlyIfList], done, (n) => R.integer(n as number)),
    toOps: (args) => ({
      ops: [['L', key(args[1]), args.slice(2), left, onlyIfList] as TxnOp],
      reply: ([n]) => R.integer(n as number),
    }),
  };
}

export const lpush = pushCommand('lpush', true, false);
export const rpush = pushCommand('rpush', false, false);
export const lpushx = pushCommand('lpushx', true, true);
export const rpushx = pushCommand('rpushx', false, true);
