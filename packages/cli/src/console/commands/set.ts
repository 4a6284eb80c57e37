import type { ConsoleCommand } from '../context';
import { keyArg } from './args';

export const setCommand: ConsoleCommand = {
  name: 'set',
  aliases: [],
  usage: 'set KEY VALUE',
  help: 'store VALUE under KEY ("\\xHH" in double quotes writes a raw byte)',
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, args) {
    await ctx.client.set(keyArg(args[0]), args[1]);
    return { json: 'OK', text: ['OK'] };
  },
};
