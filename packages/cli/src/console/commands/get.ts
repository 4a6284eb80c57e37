import type { ConsoleCommand } from '../context';
import { formatValue, jsonValue } from '../format';
import { keyArg } from './args';

export const getCommand: ConsoleCommand = {
  name: 'get',
  aliases: ['show', 'view', 'print'],
  usage: 'get KEY',
  help: 'show the value of KEY, or (nil) when it does not exist',
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, args) {
    const value = await ctx.client.getBuffer(keyArg(args[0]));
    return { json: jsonValue(value), text: [formatValue(value)] };
  },
};
