import { Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { key, type RespCommand } from './resp-command';

/**
 * SET key value [NX|XX] [GET] [KEEPTTL]: native SET with its flags. Plain SET KEY VALUE
 * usually takes the session's fast path instead. No expiry: kvndb keys do not expire.
 */
export const set: RespCommand = {
  name: 'set',
  arity: [3, Infinity],
  run: (s, args, done) => {
    const flags: { nx?: boolean; xx?: boolean; get?: boolean } = {};
    for (let i = 3; i < args.length; i++) {
      const opt = args[i].toString().toLowerCase();
      if (opt === 'nx') flags.nx = true;
      else if (opt === 'xx') flags.xx = true;
      else if (opt === 'get') flags.get = true;
      else if (opt === 'keepttl') continue;
      else if (opt === 'ex' || opt === 'px' || opt === 'exat' || opt === 'pxat') {
        done(R.error('ERR kvndb does not support key expiry (EX/PX/EXAT/PXAT)'));
        return;
      } else {
        done(R.error('ERR syntax error'));
        return;
      }
    }
    if (flags.nx && flags.xx) {
      done(R.error('ERR syntax error'));
      return;
    }
    const hasFlags = flags.nx || flags.xx || flags.get;
    s.call([Op.SET, 0, key(args[1]), args[2], hasFlags ? flags : null], done, (result, proto) => {
      if (flags.get) {
        const prev = Array.isArray(result) ? (result[1] as Uint8Array | null) : null;
        return R.bulkOrNil(prev, proto);
      }
      const applied = Array.isArray(result) ? result[0] : result;
      return applied === false ? R.nil(proto) : R.OK;
    });
  },
};
