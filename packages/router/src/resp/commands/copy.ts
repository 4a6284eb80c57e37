import { Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { int64, NOT_AN_INTEGER } from './integer-arg';
import { key, type RespCommand } from './resp-command';

/**
 * COPY source destination [DB destination-db] [REPLACE]: native MOVE with copy; 1 when
 * copied, 0 when the source is missing or the destination exists (without REPLACE). kvndb has
 * one keyspace, so DB is accepted only as 0.
 */
export const copy: RespCommand = {
  name: 'copy',
  arity: [3, Infinity],
  run: (s, args, done) => {
    let replace = false;
    for (let i = 3; i < args.length; i++) {
      const opt = args[i].toString('latin1').toLowerCase();
      if (opt === 'replace') replace = true;
      else if (opt === 'db' && i + 1 < args.length) {
        const db = int64(args[++i]);
        if (db === undefined) return done(R.error(NOT_AN_INTEGER));
        if (db !== 0n) return done(R.error('ERR DB index is out of range (kvndb has one keyspace)'));
      } else return done(R.error('ERR syntax error'));
    }
    const from = key(args[1]);
    const to = key(args[2]);
    if (from === to) return done(R.error('ERR source and destination objects are the same'));
    s.call([Op.MOVE, 0, from, to, replace ? { copy: true } : { copy: true, nx: true }], done, (r) => R.integer(r === true ? 1 : 0));
  },
};
