import type { ConsoleBatchOp, ConsoleCommand } from '../context';
import { keyArgs } from './args';

export const delCommand: ConsoleCommand = {
  name: 'del',
  aliases: ['delete', 'remove'],
  usage: 'del KEY [KEY...]',
  help: 'delete keys (several at once, atomically) and show how many existed',
  minArgs: 1,
  maxArgs: Infinity,
  completesKeys: 'all',
  async run(ctx, args) {
    const keys = keyArgs(args);
    let deleted: number;
    if (keys.length === 1) {
      deleted = (await ctx.client.del(keys[0])) ? 1 : 0;
    } else {
      // One batch: one round trip, and every replica deletes all of them or none.
      const ops: ConsoleBatchOp[] = keys.map((key) => ({ op: 'del', key }));
      const results = await ctx.client.batch(ops);
      deleted = results.filter((existed) => existed === true).length;
    }
    return { json: deleted, text: [`(integer) ${deleted}`] };
  },
};
