import { KvndbError } from '@kvndb/shared';
import type { ConsoleCommand } from '../context';
import { keyArg } from './args';

export const renameCommand: ConsoleCommand = {
  name: 'rename',
  aliases: ['mv'],
  usage: 'rename KEY NEWKEY',
  help: 'rename KEY to NEWKEY, replacing NEWKEY (an error when KEY does not exist)',
  minArgs: 2,
  maxArgs: 2,
  completesKeys: 'all',
  async run(ctx, args) {
    await ctx.client.rename(keyArg(args[0]), keyArg(args[1]));
    return { json: 'OK', text: ['OK'] };
  },
};

export const copyCommand: ConsoleCommand = {
  name: 'copy',
  aliases: ['cp'],
  usage: 'copy KEY NEWKEY [--replace]',
  help: 'copy KEY to NEWKEY (only to a missing key unless --replace) and show whether it did',
  minArgs: 2,
  maxArgs: 3,
  completesKeys: 'all',
  flags: ['--replace'],
  async run(ctx, args) {
    const words = args.map((a) => a.toString('utf8'));
    const replace = words.includes('--replace');
    const keys = args.filter((_, i) => words[i] !== '--replace');
    if (keys.length !== 2) throw KvndbError.badRequest('usage: copy KEY NEWKEY [--replace]');
    const copied = await ctx.client.copy(keyArg(keys[0]), keyArg(keys[1]), { replace });
    return { json: copied, text: [`(integer) ${copied ? 1 : 0}`] };
  },
};
