import type { ConsoleCommand } from '../context';
import { formatValue, jsonValue } from '../format';
import { keyArgs } from './args';

export const mgetCommand: ConsoleCommand = {
  name: 'mget',
  aliases: [],
  usage: 'mget KEY [KEY...]',
  help: 'show the values of several keys, one per line, in the order given',
  minArgs: 1,
  maxArgs: Infinity,
  completesKeys: 'all',
  async run(ctx, args) {
    const values = await ctx.client.mgetBuffer(keyArgs(args));
    return {
      json: values.map(jsonValue),
      text: values.map((value, i) => (ctx.interactive ? `${i + 1}) ${formatValue(value)}` : formatValue(value))),
    };
  },
};
