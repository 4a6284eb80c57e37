import { Op, type SetFlags, type WriteResult } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { positiveExpiry, type ExpiryUnit } from './expiry-args';
import { key, type RespCommand } from './resp-command';

const EXPIRIES = new Set(['ex', 'px', 'exat', 'pxat']);

/** The reply to a set's result: the previous value with GET (applied or not, as Redis 7), else OK, or nil when a condition held it back. */
function reply(flags: SetFlags | null, result: unknown, proto: R.Proto): Buffer {
  if (flags?.get) return R.bulkOrNil(Array.isArray(result) ? (result[1] as Uint8Array | null) : null, proto);
  return result === false ? R.nil(proto) : R.OK;
}

/**
 * SET's options as native flags, parsed as Redis parses them: options in any order, the
 * same option twice is allowed (the last time wins), NX/XX/IFEQ exclude each other, one of
 * EX/PX/EXAT/PXAT/KEEPTTL. The whole line is parsed before the time is read, so a
 * syntax error wins over a bad number, as in Redis.
 */
export function setFlagsOf(args: Buffer[], from: number): SetFlags | null {
  const flags: SetFlags = {};
  let any = false;
  let expiry: ExpiryUnit | 'keepttl' | null = null;
  let time: Buffer | null = null;
  for (let i = from; i < args.length; i++) {
    const opt = args[i].toString('latin1').toLowerCase();
    const next = i + 1 < args.length ? args[i + 1] : null;
    if (opt === 'nx' && !flags.xx && !flags.eq) flags.nx = true;
    else if (opt === 'xx' && !flags.nx && !flags.eq) flags.xx = true;
    else if (opt === 'ifeq' && !flags.nx && !flags.xx && !flags.eq && next !== null) {
      // Redis 8.4: set only when the current value is exactly this; a missing key is not created.
      flags.eq = next;
      i++;
    } else if (opt === 'get') flags.get = true;
    else if (opt === 'keepttl' && (expiry === null || expiry === 'keepttl')) expiry = 'keepttl';
    else if (EXPIRIES.has(opt) && (expiry === null || expiry === opt) && next !== null) {
      expiry = opt as ExpiryUnit;
      time = next;
      i++;
    } else throw new Error('syntax error');
    any = true;
  }
  if (expiry === 'keepttl') flags.keep = true;
  else if (expiry !== null) Object.assign(flags, positiveExpiry(expiry, time as Buffer, 'set'));
  return any ? flags : null;
}

/**
 * SET key value [NX|XX|IFEQ value] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL]: native SET
 * with its flags. Plain SET KEY VALUE usually takes the session's fast path instead.
 */
export const set: RespCommand = {
  name: 'set',
  arity: [3, Infinity],
  run: (s, args, done) => {
    const flags = setFlagsOf(args, 3);
    s.call([Op.SET, 0, key(args[1]), args[2], flags], done, (result, proto) => reply(flags, result, proto));
  },
  toOps: (args) => {
    const flags = setFlagsOf(args, 3);
    const k = key(args[1]);
    return {
      ops: [flags ? ['s', k, args[2], flags] : ['s', k, args[2]]],
      reply: ([result]: WriteResult[], proto: R.Proto) => reply(flags, result, proto),
    };
  },
};

/** SETEX key seconds value / PSETEX key milliseconds value: SET with EX / PX. */
function setWithTtl(name: 'setex' | 'psetex', unit: ExpiryUnit): RespCommand {
  return {
    name,
    arity: [4, 4],
    run: (s, args, done) => {
      const flags = positiveExpiry(unit, args[2], name);
      s.call([Op.SET, 0, key(args[1]), args[3], flags], done, () => R.OK);
    },
  };
}

export const setex = setWithTtl('setex', 'ex');
export const psetex = setWithTtl('psetex', 'px');

/** GETSET key value: SET ... GET (the expiry is cleared, as by SET). */
export const getset: RespCommand = {
  name: 'getset',
  arity: [3, 3],
  run: (s, args, done) =>
    s.call([Op.SET, 0, key(args[1]), args[2], { get: true }], done, (result, proto) =>
      R.bulkOrNil(Array.isArray(result) ? (result[1] as Uint8Array | null) : null, proto),
    ),
};
