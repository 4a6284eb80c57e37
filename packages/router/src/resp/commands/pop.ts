import { Op, type TxnOp, type WriteResult } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { int64 } from './integer-arg';
import { nilArray } from './list-args';
import { key, type RespCommand } from './resp-command';

/** LPOP's count: Redis refuses a negative or non-integer one with these words. */
function countArg(args: Buffer[]): number | null {
  if (args.length < 3) return null;
  const n = int64(args[2]);
  if (n === undefined || n < 0n) throw new Error('value is out of range, must be positive');
  return Number(n > 1_000_000_000n ? 1_000_000_000n : n);
}

/** Without a count: the value or nil; with one: the values (an empty array for 0) or a nil array. */
function reply(result: WriteResult | unknown, withCount: boolean, proto: R.Proto): Buffer {
  if (result === null || result === undefined) return withCount ? nilArray(proto) : R.nil(proto);
  const values = (result as [string, Uint8Array[]])[1];
  return withCount ? R.array(values, proto) : R.bulk(values[0]);
}

/** LPOP/RPOP key [count]: native POP without waiting (op 'P'), an ordered write. */
function popCommand(name: string, left: boolean): RespCommand {
  return {
    name,
    arity: [2, 3],
    run: (s, args, done) => {
      const count = countArg(args);
      s.call([Op.POP, 0, [key(args[1])], count, left, null], done, (v, proto) => reply(v, count !== null, proto));
    },
    toOps: (args) => {
      const count = countArg(args);
      return { ops: [['P', [key(args[1])], count, left] as TxnOp], reply: ([v], proto) => reply(v, count !== null, proto) };
    },
  };
}

export const lpop = popCommand('lpop', true);
export const rpop = popCommand('rpop', false);
