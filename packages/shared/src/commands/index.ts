import { batch } from './batch';
import type { Command, MethodOf } from './command';
import { del } from './del';
import { get } from './get';
import { has } from './has';
import { keys } from './keys';
import { mget } from './mget';
import { mset } from './mset';
import { ping } from './ping';
import { put, set } from './set';
import { expire } from './expire';
import { incr } from './incr';
import { latest } from './latest';
import { ttl } from './ttl';
import { txn } from './txn';
import { getex } from './getex';
import { count } from './count';
import { status } from './status';
import { incrfloat } from './incrfloat';
import { append } from './append';
import { setrange } from './setrange';
import { strlen } from './strlen';
import { getrange } from './getrange';
import { getdel } from './getdel';
import { move } from './move';
import { flush } from './flush';
import { randomkey } from './randomkey';
import { time } from './time';
import { push } from './push';
import { pop } from './pop';
import { llen } from './llen';
import { lrange } from './lrange';
import { lindex } from './lindex';
import { lrem } from './lrem';
import { ltrim } from './ltrim';
import { lset } from './lset';
import { lmove } from './lmove';
import { type } from './type';
import { watch } from './watch';
import { unwatch } from './unwatch';
import { getWait } from './get-wait';
import { wait } from './wait';
import { subscribe } from './subscribe';
import { psubscribe } from './psubscribe';
import { unsubscribe } from './unsubscribe';
import { publish } from './publish';
import { pubsubChannels } from './pubsub-channels';
import { pubsubNumsub } from './pubsub-numsub';

/** Every command of the native protocol. Adding one: its file here, and a line in this list. */
export const COMMANDS = [
  ping, get, has, mget, keys, latest, ttl, set, put, del, mset, batch, incr, expire, txn, status,
  incrfloat, append, setrange, strlen, getrange, getdel, move, flush, randomkey, time, getex, count,
  push, pop, llen, lrange, lindex, lrem, ltrim, lset, lmove, type,
  watch, unwatch, getWait, wait,
  subscribe, psubscribe, unsubscribe, publish, pubsubChannels, pubsubNumsub,
] as const;

/** Commands by opcode: one array read on the request path. */
export const COMMANDS_BY_OP: readonly (Command | undefined)[] = (() => {
  const byOp: (Command | undefined)[] = [];
  for (const c of COMMANDS) {
    if (byOp[c.op]) throw new Error(`opcode ${c.op} is registered twice`);
    byOp[c.op] = c;
  }
  return byOp;
})();

/** Commands by name (lower case). */
export const COMMANDS_BY_NAME: ReadonlyMap<string, Command> = new Map(COMMANDS.map((c) => [c.name, c]));

type Union = (typeof COMMANDS)[number]['methods'];
type Intersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type AllMethods = Intersection<Union>;

/** The client's command methods, typed from the commands' definitions. */
export type CommandMethods = { [K in keyof AllMethods]: MethodOf<AllMethods[K]> };

export { Answer, Immediate, type Command, type ClientMethod, type ReadStore } from './command';
export type { SetOptions, PutResult } from './set';
export type { Entry } from './mget';
export type { LatestEntry } from './latest';
export type { ExpireOptions } from './expire';
export type { GetExOptions } from './getex';
export type { KeyCount } from './count';
export type { BatchOp } from './batch';
export type { SubscriberCounts } from './pubsub-numsub';
export { checkChannel, checkChannels, type PubSubMessage } from './channels';
export { subscribeRequest, decodeSubscribed } from './subscribe';
export { unsubscribeRequest, decodeUnsubscribed } from './unsubscribe';
export type { Txn, TxnCondition, TxnStep, TxnResult, TxnOpResult } from './txn';
export type { CopyOptions } from './move';
export type { PopOptions } from './pop';
export type { KeyType } from './type';
export { STRING_TOO_LONG } from './append';
export type { Value } from './checks';
export { parseWatch, watchRequest, MAX_WATCH_KEYS, type WatchSelector } from './watch';
export { parseUnwatch } from './unwatch';
export { parseGetWait } from './get-wait';
export { parseWait, MAX_WAIT_KEYS, type Waited } from './wait';
export { checkWaitMs, MAX_WAIT_MS, type WaitOptions } from './blocking';
export { parseFlags } from './checks';
