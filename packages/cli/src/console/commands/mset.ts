import { KvndbError } from '@kvndb/shared';
import type { ConsoleCommand } from '../context';
import { keyArg } from './args';
import { valueArg } from './value-files';

export const msetCommand: ConsoleCommand = {
  name: 'mset',
  aliases: [],
  usage: 'mset KEY VALUE [KEY VALUE...]',
  help: 'store several keys at once, atomically (a VALUE can be @FILE, as in set)',
  minArgs: 2,
  maxArgs: Infinity,
  async run(ctx, args) {
    if (args.length % 2 !== 0) throw KvndbError.badRequest('mset needs KEY VALUE pairs; the last key has no value');
    const entries: Array<[string, Uint8Array]> = [];
    for (let i = 0; i < args.length; i += 2) entries.push([keyArg(args[i]), await valueArg(args[i + 1])]);
    await ctx.client.mset(entries);
    return { json: 'OK', text: ['OK'] };
  },
};
