import type { ConsoleCommand } from '../context';
import { keyArg } from './args';
import { valueArg } from './value-files';

export const appendCommand: ConsoleCommand = {
  name: 'append',
  aliases: [],
  usage: 'append KEY VALUE|@FILE',
  help: 'add VALUE to the end of the value at KEY and show the new length',
  minArgs: 2,
  maxArgs: 2,
  completesKeys: 'first',
  async run(ctx, args) {
    const n = await ctx.client.append(keyArg(args[0]), await valueArg(args[1]));
    return { json: n, text: [`(integer) ${n}`] };
  },
};

export const strlenCommand: ConsoleCommand = {
  name: 'strlen',
  aliases: [],
  usage: 'strlen KEY',
  help: 'the length in bytes of the value at KEY (0 when missing)',
  minArgs: 1,
  maxArgs: 1,
  completesKeys: 'first',
  async run(ctx, args) {
    const n = await ctx.client.strlen(keyArg(args[0]));
    return { json: n, text: [`(integer) ${n}`] };
  },
};
