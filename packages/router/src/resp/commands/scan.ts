import { Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { globToRegExp, literalPrefix } from '../glob';
import type { RespCommand } from './resp-command';

/**
 * SCAN cursor [MATCH pattern] [COUNT n] [TYPE t]: one native KEYS page of the pattern's
 * literal prefix, filtered by the pattern. The cursor is a number standing for the page's
 * last key (scan-cursors.ts, shared by every connection); 0 starts and ends the scan. Every
 * kvndb value is a string: TYPE string matches every key, any other type none.
 */
export const scan: RespCommand = {
  name: 'scan',
  arity: [2, Infinity],
  run: (s, args, done) => {
    let pattern = '*';
    let count = 10;
    let type: string | null = null;
    for (let i = 2; i < args.length; i += 2) {
      const opt = args[i].toString().toLowerCase();
      const val = args[i + 1]?.toString();
      if (val === undefined) {
        done(R.error('ERR syntax error'));
        return;
      }
      if (opt === 'match') pattern = val;
      else if (opt === 'count') {
        count = Number(val);
        if (!/^-?[0-9]+$/.test(val) || !Number.isSafeInteger(count)) {
          done(R.error('ERR value is not an integer or out of range'));
          return;
        }
        if (count < 1) {
          done(R.error('ERR syntax error'));
          return;
        }
      } else if (opt === 'type') type = val.toLowerCase();
      else {
        done(R.error('ERR syntax error'));
        return;
      }
    }
    const cursors = s.server.cursors;
    const at = cursors.lookup(args[1].toString('latin1'));
    if (!at.ok) {
      done(R.error('ERR invalid cursor'));
      return;
    }
    if (type !== null && type !== 'string') {
      done(R.array(['0', []]));
      return;
    }
    const prefix = literalPrefix(pattern);
    const re = globToRegExp(pattern);
    s.request([Op.KEYS, 0, prefix, Math.min(count, 10000), at.after]).then(
      (page) => {
        const [keys, next] = page as [string[], string | null];
        const cursor = next ? cursors.issue(next) : '0';
        done(R.array([cursor, keys.filter((k) => re.test(k))]));
      },
      (err) => done(R.errorReply(err)),
    );
  },
};
