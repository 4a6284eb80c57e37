import * as R from '../resp-encoder';
import type { RespSession } from '../resp-session';
import { Door } from '../../requests/request-stats';
import type { Done, RespCommand } from './resp-command';

export const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';

/**
 * Whether `user`/`pass` log in, as Redis's one user, `default`: the router's password, or
 * anything when the router has none (Redis's `nopass`). Logs the connection in if so.
 */
export function logIn(s: RespSession, user: string, pass: Buffer): boolean {
  const ok = user === 'default' && (!s.server.options.password || s.server.checkPassword(pass));
  if (ok) s.login();
  else {
    s.server.backend.stats?.authFailed(Door.Resp);
    s.server.logger.warn(`RESP authentication failed from ${s.address}`);
  }
  return ok;
}

/** WRONGPASS, delayed as the native handshake delays a refusal, to slow down guessing. */
export function refuseLater(done: Done): void {
  setTimeout(() => done(R.error(WRONGPASS)), 200);
}

/** AUTH [username] password: logs the connection in. */
export const auth: RespCommand = {
  name: 'auth',
  arity: [2, 3],
  preAuth: true,
  run: (s, args, done) => {
    if (args.length === 2 && !s.server.options.password) {
      done(R.error('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?'));
      return;
    }
    const user = args.length === 3 ? args[1].toString() : 'default';
    if (logIn(s, user, args[args.length - 1])) done(R.OK);
    else refuseLater(done);
  },
};
