import type { ConsoleCommand } from '../context';
import { keyArg } from './args';
import { valueArg } from './value-files';

export const setCommand: ConsoleCommand = {
  name: 'set',
  aliases: [],
  usage: 'set KEY VALUE|@FILE',
  help: 'store VALUE under KEY; @FILE stores the bytes of FILE (@@ for a value starting with @)',
  minArgs: 2,
  maxArgs: 2,
  completesKeys: 'first',
  async run(ctx, args) {
    const key = keyArg(args[0]);
    await ctx.client.set(key, await valueArg(args[1]));
    return { json: 'OK', text: ['OK'] };
  },
};
