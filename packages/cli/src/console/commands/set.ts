import { KvndbError } from '@kvndb/shared';
import type { ConsoleCommand } from '../context';
import { keyArg } from './args';
import { msArg } from './expire';
import { valueArg } from './value-files';

export const setCommand: ConsoleCommand = {
  name: 'set',
  aliases: [],
  usage: 'set KEY VALUE|@FILE [--ttl MS]',
  help: 'store VALUE under KEY; @FILE stores the bytes of FILE (@@ for a value starting with @); --ttl MS expires it MS milliseconds from now',
  minArgs: 2,
  maxArgs: 4,
  completesKeys: 'first',
  async run(ctx, args) {
    const key = keyArg(args[0]);
    let ttlMs: number | undefined;
    if (args.length > 2) {
      if (args.length !== 4 || args[2].toString('utf8') !== '--ttl') throw KvndbError.badRequest(`usage: ${setCommand.usage}`);
      ttlMs = msArg(args[3], '--ttl');
    }
    await ctx.client.set(key, await valueArg(args[1]), ttlMs === undefined ? undefined : { ttlMs });
    return { json: 'OK', text: ['OK'] };
  },
};
