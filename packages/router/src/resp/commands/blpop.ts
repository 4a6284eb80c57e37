import { Op, type KvndbError, type TxnOp } from '@kvndb/shared';
import type { WaiterSink } from '../../blocking/pop-waiters';
import type { RespSession } from '../resp-session';
import * as R from '../resp-encoder';
import { nilArray } from './list-args';
import { key, type RespCommand } from './resp-command';

/** Redis's float syntax for a timeout (strtold without hex, infinities or NaN). */
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** BLPOP's timeout in seconds as the router's waitMs: -1 for 0 (forever). */
function timeoutArg(arg: Buffer): number {
  const s = arg.toString('latin1');
  const t = FLOAT.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(t)) throw new Error('timeout is not a float or out of range');
  if (t < 0) throw new Error('timeout is negative');
  if (t === 0) return -1;
  return Math.max(1, Math.min(2 ** 31 - 1, Math.round(t * 1000)));
}

/** [key, value] or a nil array. */
function reply(v: unknown, proto: R.Proto): Buffer {
  if (v === null || v === undefined) return nilArray(proto);
  const [k, values] = v as [string, Uint8Array[]];
  return R.array([k, values[0]], proto);
}

/**
 * The sink of a blocked RESP connection: the pop waiters drop it once its socket is gone
 * (nothing is removed for it), and bound it per connection.
 */
class BlockedSink implements WaiterSink {
  constructor(
    readonly owner: RespSession,
    private readonly done: (err: KvndbError | null, value?: unknown) => void,
  ) {}

  get closed(): boolean {
    return this.owner.socket.destroyed;
  }

  reply(_tag: number, err: KvndbError | null, value?: unknown): void {
    this.done(err, value);
  }
}

/**
 * BLPOP/BRPOP key [key ...] timeout: a native POP that waits (router/src/blocking). As in
 * Redis the connection is blocked: the commands it sends meanwhile run once the pop is
 * answered. Inside MULTI it does not wait (Redis's rule), so it is a plain pop there.
 */
function blockingPop(name: string, left: boolean): RespCommand {
  return {
    name,
    arity: [3, Infinity],
    run: (s, args, done) => {
      const waitMs = timeoutArg(args[args.length - 1]);
      const keys = args.slice(1, -1).map(key);
      const proto = s.proto;
      s.hold();
      s.execute(
        [Op.POP, 0, keys, null, left, waitMs],
        new BlockedSink(s, (err, value) => {
          done(err ? R.errorReply(err) : reply(value, proto));
          s.release();
        }),
        0,
      );
    },
    toOps: (args) => {
      timeoutArg(args[args.length - 1]);
      return { ops: [['P', args.slice(1, -1).map(key), null, left] as TxnOp], reply: ([v], proto) => reply(v, proto) };
    },
  };
}

export const blpop = blockingPop('blpop', true);
export const brpop = blockingPop('brpop', false);
