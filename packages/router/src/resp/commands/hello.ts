import { KVNDB_VERSION } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { logIn, refuseLater } from './auth';
import { checkClientName } from './client';
import type { RespCommand } from './resp-command';

/** The redis_version kvndb's RESP door claims, in HELLO and INFO: the commands it has behave as in this Redis. */
export const REDIS_VERSION = '7.2.0';

/**
 * HELLO [protover [AUTH username password] [SETNAME name]]: switches the connection to RESP2
 * or RESP3, may log it in and name it, and answers Redis's map about the server (in the
 * protocol just chosen). Nothing changes unless every option is good, as in Redis.
 */
export const hello: RespCommand = {
  name: 'hello',
  arity: [1, Infinity],
  preAuth: true,
  run: (s, args, done) => {
    let proto = s.proto;
    if (args.length > 1) {
      const text = args[1].toString();
      const v = Number(text);
      if (!/^-?[0-9]+$/.test(text) || !Number.isSafeInteger(v)) {
        done(R.error('ERR Protocol version is not an integer or out of range'));
        return;
      }
      if (v !== 2 && v !== 3) {
        done(R.error('NOPROTO unsupported protocol version'));
        return;
      }
      proto = v;
    }
    let credentials: [string, Buffer] | null = null;
    let name: string | null = null;
    for (let i = 2; i < args.length; i++) {
      const opt = args[i].toString().toLowerCase();
      if (opt === 'auth' && i + 2 < args.length) {
        credentials = [args[i + 1].toString(), args[i + 2]];
        i += 2;
      } else if (opt === 'setname' && i + 1 < args.length) {
        name = args[i + 1].toString();
        i += 1;
      } else {
        done(R.error(`ERR Syntax error in HELLO option '${args[i].toString()}'`));
        return;
      }
    }
    if (name !== null) {
      const bad = checkClientName(name);
      if (bad) {
        done(R.error(bad));
        return;
      }
    }
    if (credentials && !logIn(s, credentials[0], credentials[1])) {
      refuseLater(done);
      return;
    }
    if (!s.authed) {
      done(R.error('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time'));
      return;
    }
    if (name !== null) s.name = name;
    s.setProto(proto);
    done(
      R.map(
        [
          ['server', 'kvndb'],
          ['version', REDIS_VERSION],
          ['proto', proto],
          ['id', s.id],
          ['mode', 'standalone'],
          ['role', 'master'],
          ['modules', []],
          ['kvndb_version', KVNDB_VERSION],
        ],
        proto,
      ),
    );
  },
};
