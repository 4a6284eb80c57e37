import { KvndbError } from '@kvndb/shared';
import type { ConsoleCommand } from '../context';
import { keyArg } from './args';

/** A time in milliseconds as typed: a positive whole number. */
export function msArg(arg: Buffer, what = 'MS'): number {
  const text = arg.toString('utf8');
  const n = /^[1-9][0-9]{0,15}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw KvndbError.badRequest(`${what} must be a positive whole number of milliseconds, got "${text}"`);
  return n;
}

export const expireCommand: ConsoleCommand = {
  name: 'expire',
  aliases: ['pexpire'],
  usage: 'expire KEY MS',
  help: 'make KEY expire MS milliseconds from now (true, or false when KEY does not exist)',
  minArgs: 2,
  maxArgs: 2,
  completesKeys: 'first',
  async run(ctx, args) {
    const done = await ctx.client.expire(keyArg(args[0]), msArg(args[1]));
    return { json: done, text: [String(done)] };
  },
};

export const ttlCommand: ConsoleCommand = {
  name: 'ttl',
  aliases: ['pttl'],
  usage: 'ttl KEY',
  help: 'milliseconds until KEY expires (-1: it never does, -2: no such key)',
  minArgs: 1,
  maxArgs: 1,
  completesKeys: 'first',
  async run(ctx, args) {
    const ms = await ctx.client.ttl(keyArg(args[0]));
    const text = ms === -2 ? '-2 (no such key)' : ms === -1 ? '-1 (no expiry)' : `${ms} ms`;
    return { json: ms, text: [text] };
  },
};

export const persistCommand: ConsoleCommand = {
  name: 'persist',
  aliases: [],
  usage: 'persist KEY',
  help: 'remove the expiry of KEY (true, or false when it had none or does not exist)',
  minArgs: 1,
  maxArgs: 1,
  completesKeys: 'first',
  async run(ctx, args) {
    const done = await ctx.client.persist(keyArg(args[0]));
    return { json: done, text: [String(done)] };
  },
};
