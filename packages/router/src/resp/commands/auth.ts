import * as R from '../resp-encoder';
import type { RespCommand } from './resp-command';

/** AUTH [default] password: logs the connection in. */
export const auth: RespCommand = {
  name: 'auth',
  arity: [2, 3],
  preAuth: true,
  run: (s, args, done) => {
    const pass = args[args.length - 1];
    if (args.length === 3 && args[1].toString() !== 'default') {
      done(R.error('WRONGPASS invalid username-password pair or user is disabled.'));
      return;
    }
    if (!s.server.options.password) {
      done(R.error('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?'));
      return;
    }
    if (s.server.checkPassword(pass)) {
      s.login();
      done(R.OK);
    } else {
      s.server.logger.warn(`RESP authentication failed from ${s.address}`);
      // Delay the refusal, as the native handshake does, to slow down guessing.
      setTimeout(() => done(R.error('WRONGPASS invalid username-password pair or user is disabled.')), 200);
    }
  },
};
