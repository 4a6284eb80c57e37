import { isOpError, Op, type KvndbError, type TxnCompare, type TxnOp, type WriteResult } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { Watch } from '../transaction';
import { key, type RespCommand } from './resp-command';

/** MULTI: start queueing. Nested is an error that leaves the transaction as it was, as in Redis. */
export const multi: RespCommand = {
  name: 'multi',
  arity: [1, 1],
  runsInMulti: true,
  run: (s, _args, done) => {
    if (s.txn.inMulti) return done(R.error('ERR MULTI calls can not be nested'));
    s.txn.queued = [];
    done(R.OK);
  },
};

/** DISCARD: drop the queued commands and the watched keys. */
export const discard: RespCommand = {
  name: 'discard',
  arity: [1, 1],
  runsInMulti: true,
  run: (s, _args, done) => {
    if (!s.txn.inMulti) return done(R.error('ERR DISCARD without MULTI'));
    s.txn.finish();
    done(R.OK);
  },
};

/**
 * WATCH key [key ...]: remember each key's version now (a native MGET with meta; 0 for an
 * absent key), for EXEC to compare. Its reply waits for the read, so a client that waits
 * for OK has its versions recorded before its next command.
 */
export const watch: RespCommand = {
  name: 'watch',
  arity: [2, Infinity],
  runsInMulti: true,
  run: (s, args, done) => {
    if (s.txn.inMulti) return done(R.error('ERR WATCH inside MULTI is not allowed'));
    const keys = args.slice(1).map(key);
    const w = s.txn.watch;
    w.add(
      s.request([Op.MGET, 0, keys, true]).then(
        (entries) => {
          keys.forEach((k, i) => {
            const e = (entries as Array<[unknown, number] | null>)[i];
            if (!w.versions.has(k)) w.versions.set(k, e === null || e === undefined ? 0 : e[1]);
          });
          done(R.OK);
        },
        (err: KvndbError) => {
          w.failed = true;
          done(R.errorReply(err));
        },
      ),
    );
  },
};

/** UNWATCH: forget the watched keys. Queued inside MULTI, where it changes nothing (EXEC forgets them anyway). */
export const unwatch: RespCommand = {
  name: 'unwatch',
  arity: [1, 1],
  run: (s, _args, done) => {
    s.txn.watch = new Watch();
    done(R.OK);
  },
  toOps: () => ({ ops: [], reply: () => R.OK }),
};

/**
 * EXEC: the queued commands' ops as the `then` of one native transaction, whose `if` holds
 * ['v', key, version] per watched key. A failed comparison applies nothing and answers a
 * null array; otherwise each command's reply, a failed op's error in its place.
 */
export const exec: RespCommand = {
  name: 'exec',
  arity: [1, 1],
  runsInMulti: true,
  run: (s, _args, done) => {
    if (!s.txn.inMulti) return done(R.error('ERR EXEC without MULTI'));
    const { queued, dirty, watch: w } = s.txn.finish();
    if (dirty) return done(R.error('EXECABORT Transaction discarded because of previous errors.'));
    const proto = s.proto;
    const aborted = proto === 3 ? R.NULL3 : R.NULL_ARRAY;
    const send = (): void => {
      if (w.failed) return done(aborted);
      const ifs: TxnCompare[] = [];
      for (const [k, version] of w.versions) ifs.push(['v', k, version]);
      if (queued.length === 0 && ifs.length === 0) return done(R.EMPTY_ARRAY);
      const ops: TxnOp[] = [];
      for (const part of queued) for (const op of part.ops) ops.push(op);
      s.call([Op.TXN, 0, ifs, ops, []], done, (value) => {
        const [passed, results] = value as [boolean, WriteResult[]];
        if (!passed) return aborted;
        const replies: Buffer[] = [Buffer.from(`*${queued.length}\r\n`)];
        let at = 0;
        for (const part of queued) {
          const mine = results.slice(at, at + part.ops.length);
          at += part.ops.length;
          const failed = mine.find(isOpError);
          replies.push(failed !== undefined ? R.opErrorReply(failed) : part.reply(mine, proto));
        }
        return Buffer.concat(replies);
      });
    };
    if (w.reading === null) return send();
    // A WATCH pipelined before EXEC has not been answered yet: the commands after EXEC wait,
    // so they still reach the router after the transaction (read-your-writes on this connection).
    s.hold();
    void w.reading.then(() => {
      send();
      s.release();
    });
  },
};
