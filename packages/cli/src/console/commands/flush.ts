import { KvndbError } from '@kvndb/shared';
import type { ConsoleCommand } from '../context';

const YES = new Set(['--yes', '-y']);

/**
 * Removes every key. Typed on the shell's command line with a terminal on stdin
 * (`kvndb cmd HOST PORT flush`), it asks y/N first. At the interactive console it asks to be
 * typed again with --yes (a stray `flush` from history is not enough). --yes / -y skips the
 * question; scripts and pipes run it as given.
 */
export const flushCommand: ConsoleCommand = {
  name: 'flush',
  aliases: ['flushall', 'flushdb'],
  usage: 'flush [--yes]',
  help: 'remove every key (at the console: confirm with --yes)',
  minArgs: 0,
  maxArgs: 1,
  flags: ['--yes', '-y'],
  async run(ctx, args) {
    const word = args[0]?.toString('utf8');
    if (word !== undefined && !YES.has(word)) throw KvndbError.badRequest('usage: flush [--yes]');
    if (word === undefined) {
      if (ctx.confirm !== undefined) {
        if (!(await ctx.confirm('Remove every key?'))) return { json: 'NOT CONFIRMED', text: ['not flushed'] };
      } else if (ctx.interactive) {
        return { json: 'NOT CONFIRMED', text: ['this removes every key; type `flush --yes` to do it'] };
      }
    }
    await ctx.client.flush();
    return { json: 'OK', text: ['OK'] };
  },
};
