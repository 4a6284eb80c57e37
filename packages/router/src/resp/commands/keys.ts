import { ErrorCode, KvndbError, Op } from '@kvndb/shared';
import type { RespSession } from '../resp-session';
import * as R from '../resp-encoder';
import { globToRegExp, literalPrefix } from '../glob';
import type { RespCommand } from './resp-command';

/**
 * KEYS pattern: every matching key, from native KEYS pages of the pattern's literal prefix.
 * Refused past the server's maxKeysReply (use SCAN).
 */
export const keys: RespCommand = {
  name: 'keys',
  arity: [2, 2],
  run: (s, args, done) => {
    const pattern = args[1].toString('utf8');
    collectKeys(s, pattern, s.server.maxKeysReply).then(
      (found) => done(R.array(found)),
      (err) => done(R.errorReply(err)),
    );
  },
};

async function collectKeys(s: RespSession, pattern: string, max: number): Promise<string[]> {
  const prefix = literalPrefix(pattern);
  const re = globToRegExp(pattern);
  const out: string[] = [];
  let cursor: string | null = null;
  do {
    const [page, next] = (await s.request([Op.KEYS, 0, prefix, 10000, cursor])) as [string[], string | null];
    for (const k of page) if (re.test(k)) out.push(k);
    if (out.length > max) {
      throw new KvndbError(ErrorCode.TOO_LARGE, `KEYS would return more than ${max} keys; use SCAN to page through them`);
    }
    cursor = next;
  } while (cursor);
  return out;
}
