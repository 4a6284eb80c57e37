import { ExpireCond, Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { expireTime, positiveExpiry, type ExpiryUnit } from './expiry-args';
import { key, type RespCommand } from './resp-command';

/** EXPIRE's NX/XX/GT/LT, with Redis's errors for the combinations it refuses. */
function condOf(args: Buffer[], from: number): ExpireCond {
  let nx = false, xx = false, gt = false, lt = false;
  for (let i = from; i < args.length; i++) {
    const opt = args[i].toString('latin1').toLowerCase();
    if (opt === 'nx') nx = true;
    else if (opt === 'xx') xx = true;
    else if (opt === 'gt') gt = true;
    else if (opt === 'lt') lt = true;
    else throw new Error(`Unsupported option ${args[i].toString()}`);
  }
  if (nx && (xx || gt || lt)) throw new Error('NX and XX, GT or LT options at the same time are not compatible');
  if (gt && lt) throw new Error('GT and LT options at the same time are not compatible');
  // XX GT is GT (a key without an expiry never passes GT); XX LT is its own condition.
  if (xx && lt) return ExpireCond.XX_LT;
  return nx ? ExpireCond.NX : gt ? ExpireCond.GT : xx ? ExpireCond.XX : lt ? ExpireCond.LT : ExpireCond.NONE;
}

/** EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT key time [NX|XX|GT|LT]: 1 if the expiry was set (or the key deleted), else 0. */
function expireCommand(name: string, relative: boolean, seconds: boolean): RespCommand {
  return {
    name,
    arity: [3, Infinity],
    run: (s, args, done) => {
      // Redis checks the time before the options.
      const [px, at] = expireTime(relative, seconds, args[2], name);
      const cond = condOf(args, 3);
      s.call([Op.EXPIRE, 0, key(args[1]), px, at, cond], done, (r) => R.integer(r === true ? 1 : 0));
    },
  };
}

export const expire = expireCommand('expire', true, true);
export const pexpire = expireCommand('pexpire', true, false);
export const expireat = expireCommand('expireat', false, true);
export const pexpireat = expireCommand('pexpireat', false, false);

/** PERSIST key: 1 if an expiry was removed, 0 if the key has none or does not exist. */
export const persist: RespCommand = {
  name: 'persist',
  arity: [2, 2],
  run: (s, args, done) => s.call([Op.EXPIRE, 0, key(args[1]), null, null, ExpireCond.NONE], done, (r) => R.integer(r === true ? 1 : 0)),
};

/**
 * TTL / PTTL / EXPIRETIME / PEXPIRETIME key: from the native TTL read (ms left, or the
 * absolute expiry); -1 without an expiry, -2 for a missing key. Seconds are rounded as Redis
 * rounds them ((ms + 500) / 1000).
 */
function ttlCommand(name: string, absolute: boolean, seconds: boolean): RespCommand {
  return {
    name,
    arity: [2, 2],
    run: (s, args, done) =>
      s.call(absolute ? [Op.TTL, 0, key(args[1]), true] : [Op.TTL, 0, key(args[1])], done, (v) => {
        const ms = v as number;
        return R.integer(ms < 0 || !seconds ? ms : Math.floor((ms + 500) / 1000));
      }),
  };
}

export const ttl = ttlCommand('ttl', false, true);
export const pttl = ttlCommand('pttl', false, false);
export const expiretime = ttlCommand('expiretime', true, true);
export const pexpiretime = ttlCommand('pexpiretime', true, false);

const GETEX_TIMES = new Set(['ex', 'px', 'exat', 'pxat']);

/**
 * GETEX key [EX s|PX ms|EXAT s|PXAT ms|PERSIST]: the value, changing the expiry in the same
 * write (native GETEX). Without an option it is a plain GET, a read, as in Redis.
 */
export const getex: RespCommand = {
  name: 'getex',
  arity: [2, Infinity],
  run: (s, args, done) => {
    const k = key(args[1]);
    let persist = false;
    let unit: ExpiryUnit | null = null;
    let time: Buffer | null = null;
    for (let i = 2; i < args.length; i++) {
      const opt = args[i].toString('latin1').toLowerCase();
      if (opt === 'persist' && unit === null) persist = true;
      else if (GETEX_TIMES.has(opt) && !persist && (unit === null || unit === opt) && i + 1 < args.length) {
        unit = opt as ExpiryUnit;
        time = args[++i];
      } else throw new Error('syntax error');
    }
    const toBulk = (v: unknown, proto: R.Proto): Buffer => R.bulkOrNil(v as Uint8Array | null, proto);
    if (unit === null) {
      s.call(persist ? [Op.GETEX, 0, k, null, null, true] : [Op.GET, 0, k], done, toBulk);
      return;
    }
    let flags: { px: number } | { at: number };
    try {
      flags = positiveExpiry(unit, time as Buffer, 'getex');
    } catch (err) {
      // Redis looks the key up before it reads the time: a missing key answers nil, not the error.
      s.call([Op.HAS, 0, k], done, (exists, proto) => {
        if (exists === true) throw err;
        return R.nil(proto);
      });
      return;
    }
    const px = 'px' in flags ? flags.px : null;
    const at = 'at' in flags ? flags.at : null;
    s.call([Op.GETEX, 0, k, px, at, false], done, toBulk);
  },
};
