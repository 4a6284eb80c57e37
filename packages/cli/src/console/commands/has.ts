import type { ConsoleCommand } from '../context';
import { keyArg } from './args';

export const hasCommand: ConsoleCommand = {
  name: 'has',
  aliases: ['exists'],
  usage: 'has KEY',
  help: 'show whether KEY exists (true or false)',
  minArgs: 1,
  maxArgs: 1,
  completesKeys: 'first',
  async run(ctx, args) {
    const exists = await ctx.client.has(keyArg(args[0]));
    return { json: exists, text: [String(exists)] };
  },
};
