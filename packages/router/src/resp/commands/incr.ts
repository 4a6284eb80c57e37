import { INT64_MIN, Op, type TxnOp } from '@kvndb/shared';
import { int64 } from './integer-arg';
import { key, type RespCommand, type TxnPart } from './resp-command';

/** INCRBY's argument as the wire's decimal delta; Redis's words for one that is not an int64. */
function amount(arg: Buffer): bigint {
  const n = int64(arg);
  if (n === undefined) throw new Error('value is not an integer or out of range');
  return n;
}

/** The delta of INCR/INCRBY/DECR/DECRBY. */
function delta(args: Buffer[], sign: 1n | -1n): string {
  const n = args.length > 2 ? amount(args[2]) : 1n;
  // Redis: DECRBY of the smallest int64 has no positive counterpart.
  if (sign === -1n && n === INT64_MIN) throw new Error('decrement would overflow');
  return (n * sign).toString();
}

/** The counter's new value: a number, or its decimal string beyond 2^53 (an integer reply either way). */
const integer = (v: unknown): Buffer => Buffer.from(`:${String(v)}\r\n`);

/**
 * A counter command: native INCR (op 'i', computed by every replica at the write's position,
 * over the whole int64 range as Redis does). Errors are Redis's: a value that is not an
 * integer, a result that would overflow.
 */
function counter(name: string, arity: number, sign: 1n | -1n): RespCommand {
  return {
    name,
    arity: [arity, arity],
    run: (s, args, done) => s.call([Op.INCR, 0, key(args[1]), delta(args, sign)], done, integer),
    toOps: (args): TxnPart => ({ ops: [['i', key(args[1]), delta(args, sign)] as TxnOp], reply: ([r]) => integer(r) }),
  };
}

/** INCR key */
export const incr = counter('incr', 2, 1n);
/** INCRBY key increment */
export const incrby = counter('incrby', 3, 1n);
/** DECR key */
export const decr = counter('decr', 2, -1n);
/** DECRBY key decrement */
export const decrby = counter('decrby', 3, -1n);
