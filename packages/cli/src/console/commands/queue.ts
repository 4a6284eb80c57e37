import { KvndbError } from '@kvndb/shared';
import type { ConsoleCommand } from '../context';
import { formatValue, jsonValue } from '../format';
import { keyArg } from './args';
import { msArg } from './expire';
import { valueArg } from './value-files';

export const pushCommand: ConsoleCommand = {
  name: 'push',
  aliases: ['rpush'],
  usage: 'push KEY VALUE|@FILE [VALUE|@FILE ...]',
  help: 'append the VALUEs to the queue (list) at KEY and show its new length',
  minArgs: 2,
  maxArgs: Infinity,
  completesKeys: 'first',
  async run(ctx, args) {
    const values = await Promise.all(args.slice(1).map((a) => valueArg(a)));
    const n = await ctx.client.push(keyArg(args[0]), ...values);
    return { json: n, text: [`(integer) ${n}`] };
  },
};

export const popCommand: ConsoleCommand = {
  name: 'pop',
  aliases: ['lpop'],
  usage: 'pop KEY [--wait MS]',
  help: 'remove and show the oldest value of the queue at KEY, (nil) when it is empty; --wait MS waits up to MS milliseconds for one',
  minArgs: 1,
  maxArgs: 3,
  completesKeys: 'first',
  async run(ctx, args) {
    let waitMs: number | undefined;
    if (args.length > 1) {
      if (args.length !== 3 || args[1].toString('utf8') !== '--wait') throw KvndbError.badRequest(`usage: ${popCommand.usage}`);
      waitMs = msArg(args[2], '--wait');
    }
    const value = await ctx.client.popBuffer(keyArg(args[0]), waitMs === undefined ? undefined : { waitMs });
    return { json: jsonValue(value), text: [formatValue(value)] };
  },
};

export const peekCommand: ConsoleCommand = {
  name: 'peek',
  aliases: [],
  usage: 'peek KEY',
  help: 'show the value pop KEY would take, without removing it; (nil) when the queue is empty',
  minArgs: 1,
  maxArgs: 1,
  completesKeys: 'first',
  async run(ctx, args) {
    const value = await ctx.client.peekBuffer(keyArg(args[0]));
    return { json: jsonValue(value), text: [formatValue(value)] };
  },
};
