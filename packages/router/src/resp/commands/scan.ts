import { Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { globToRegExp, literalPrefix } from '../glob';
import type { RespCommand } from './resp-command';

/**
 * SCAN cursor [MATCH pattern] [COUNT n] [TYPE t]: one native KEYS page. The cursor is the
 * page's last key, base64url-encoded; 0 starts and ends the scan.
 */
export const scan: RespCommand = {
  name: 'scan',
  arity: [2, Infinity],
  run: (s, args, done) => {
    let pattern = '*';
    let count = 10;
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
        if (!Number.isInteger(count) || count < 1) {
          done(R.error('ERR value is not an integer or out of range'));
          return;
        }
      } else if (opt === 'type') continue;
      else {
        done(R.error('ERR syntax error'));
        return;
      }
    }
    const cursorArg = args[1].toString();
    let after: string | null = null;
    if (cursorArg !== '0') {
      after = Buffer.from(cursorArg, 'base64url').toString('utf8');
      if (!after) {
        done(R.error('ERR invalid cursor'));
        return;
      }
    }
    const prefix = literalPrefix(pattern);
    const re = globToRegExp(pattern);
    s.request([Op.KEYS, 0, prefix, Math.min(count, 10000), after]).then(
      (page) => {
        const [keys, next] = page as [string[], string | null];
        const cursor = next ? Buffer.from(next, 'utf8').toString('base64url') : '0';
        done(R.array([cursor, keys.filter((k) => re.test(k))]));
      },
      (err) => done(R.errorReply(err)),
    );
  },
};
