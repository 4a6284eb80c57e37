import { KVNDB_VERSION } from '@kvndb/shared';
import * as R from '../resp-encoder';
import type { RespCommand } from './resp-command';

/** HELLO [2 [AUTH user pass] [SETNAME name]]: RESP2 only; may log the connection in. */
export const hello: RespCommand = {
  name: 'hello',
  arity: [1, Infinity],
  preAuth: true,
  run: (s, args, done) => {
    let i = 1;
    if (args.length > 1) {
      const proto = Number(args[1].toString());
      if (proto !== 2) {
        done(R.error('NOPROTO this server does not support the requested protocol version (kvndb speaks RESP2)'));
        return;
      }
      i = 2;
    }
    for (; i < args.length; i++) {
      const opt = args[i].toString().toLowerCase();
      if (opt === 'auth' && i + 2 < args.length) {
        if (!s.server.checkPassword(args[i + 2]) && s.server.options.password) {
          done(R.error('WRONGPASS invalid username-password pair or user is disabled.'));
          return;
        }
        s.login();
        i += 2;
      } else if (opt === 'setname' && i + 1 < args.length) {
        i += 1;
      } else {
        done(R.error(`ERR Syntax error in HELLO option '${opt}'`));
        return;
      }
    }
    if (!s.authed) {
      done(R.error('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time'));
      return;
    }
    done(R.array(['server', 'kvndb', 'version', KVNDB_VERSION, 'proto', 2, 'id', 1, 'mode', 'standalone', 'role', 'master', 'modules', []]));
  },
};
