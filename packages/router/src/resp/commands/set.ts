import { Op, type WriteResult } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { key, type RespCommand } from './resp-command';

type Flags = { nx?: boolean; xx?: boolean; get?: boolean };

/** SET's options after key and value; throws Redis's error for a bad one. */
function parseFlags(args: Buffer[]): Flags {
  const flags: Flags = {};
  for (let i = 3; i < args.length; i++) {
    const opt = args[i].toString().toLowerCase();
    if (opt === 'nx') flags.nx = true;
    else if (opt === 'xx') flags.xx = true;
    else if (opt === 'get') flags.get = true;
    else if (opt === 'keepttl') continue;
    else if (opt === 'ex' || opt === 'px' || opt === 'exat' || opt === 'pxat') throw new Error('kvndb does not support key expiry (EX/PX/EXAT/PXAT)');
    else throw new Error('syntax error');
  }
  if (flags.nx && flags.xx) throw new Error('syntax error');
  return flags;
}

/** The reply to a set's result: the previous value with GET, else OK, or nil when a condition held it back. */
function reply(flags: Flags, result: unknown, proto: R.Proto): Buffer {
  if (flags.get) {
    const prev = Array.isArray(result) ? (result[1] as Uint8Array | null) : null;
    return R.bulkOrNil(prev, proto);
  }
  const applied = Array.isArray(result) ? result[0] : result;
  return applied === false ? R.nil(proto) : R.OK;
}

/**
 * SET key value [NX|XX] [GET] [KEEPTTL]: native SET with its flags. Plain SET KEY VALUE
 * usually takes the session's fast path instead. No expiry: kvndb keys do not expire.
 */
export const set: RespCommand = {
  name: 'set',
  arity: [3, Infinity],
  run: (s, args, done) => {
    const flags = parseFlags(args);
    const hasFlags = flags.nx || flags.xx || flags.get;
    s.call([Op.SET, 0, key(args[1]), args[2], hasFlags ? flags : null], done, (result, proto) => reply(flags, result, proto));
  },
  toOps: (args) => {
    const flags = parseFlags(args);
    const k = key(args[1]);
    return {
      ops: [flags.nx || flags.xx || flags.get ? ['s', k, args[2], flags] : ['s', k, args[2]]],
      reply: ([result]: WriteResult[], proto: R.Proto) => reply(flags, result, proto),
    };
  },
};
