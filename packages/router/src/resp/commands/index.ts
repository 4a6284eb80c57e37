import { auth } from './auth';
import { client } from './client';
import { commandCommand } from './command';
import { config } from './config';
import { dbsize } from './dbsize';
import { del, unlink } from './del';
import { echo } from './echo';
import { exists } from './exists';
import { get } from './get';
import { decr, decrby, incr, incrby } from './incr';
import { hello } from './hello';
import { info } from './info';
import { keys } from './keys';
import { mget } from './mget';
import { mset } from './mset';
import { msetnx } from './msetnx';
import { discard, exec, multi, unwatch, watch } from './multi';
import { ping } from './ping';
import { quit } from './quit';
import type { RespCommand } from './resp-command';
import { scan } from './scan';
import { select } from './select';
import { getset, psetex, set, setex } from './set';
import { wait } from './wait';
import { expire, expireat, expiretime, getex, persist, pexpire, pexpireat, pexpiretime, pttl, ttl } from './expire';
import { setnx } from './setnx';
import { time } from './time';
import { incrbyfloat } from './incrbyfloat';
import { append } from './append';
import { strlen } from './strlen';
import { getrange, substr } from './getrange';
import { setrange } from './setrange';
import { getdel } from './getdel';
import { rename, renamenx } from './rename';
import { copy } from './copy';
import { touch } from './touch';
import { type } from './type';
import { randomkey } from './randomkey';
import { flushall, flushdb } from './flush';
import { lpush, lpushx, rpush, rpushx } from './push';
import { lpop, rpop } from './pop';
import { blpop, brpop } from './blpop';
import { llen } from './llen';
import { lrange } from './lrange';
import { lindex } from './lindex';
import { lrem } from './lrem';
import { ltrim } from './ltrim';
import { lset } from './lset';
import { lmove } from './lmove';
import { psubscribe, punsubscribe, subscribe, unsubscribe } from './subscribe';
import { publish } from './publish';
import { pubsub } from './pubsub';

const table = new Map<string, RespCommand>();

/**
 * Every command of the RESP door, by lower-case name. A Map, so a command named after an
 * Object property (CONSTRUCTOR, __PROTO__) is just unknown. Adding one: its file here, and
 * a line in this list.
 */
export const RESP_COMMANDS: ReadonlyMap<string, RespCommand> = table;

for (const c of [
  ping, echo, quit, select, auth, hello, commandCommand(RESP_COMMANDS), config, client, info,
  get, set, setnx, del, unlink, exists, mget, mset, keys, scan, dbsize, time, wait,
  incr, incrby, decr, decrby, msetnx, multi, exec, discard, watch, unwatch,
  incrbyfloat, append, strlen, getrange, substr, setrange, getdel,
  rename, renamenx, copy, touch, type, randomkey, flushdb, flushall,
  setex, psetex, getset, getex, expire, pexpire, expireat, pexpireat, ttl, pttl, expiretime, pexpiretime, persist,
  lpush, rpush, lpushx, rpushx, lpop, rpop, blpop, brpop, llen, lrange, lindex, lrem, ltrim, lset, lmove,
  subscribe, psubscribe, unsubscribe, punsubscribe, publish, pubsub,
]) {
  if (table.has(c.name)) throw new Error(`RESP command ${c.name} is registered twice`);
  table.set(c.name, c);
}

export { keyIn, wrongArity, type Done, type Handler, type RespCommand, type TxnPart } from './resp-command';
