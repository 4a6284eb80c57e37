import type { ConsoleCommand } from '../context';

export const quitCommand: ConsoleCommand = {
  name: 'quit',
  aliases: ['exit'],
  usage: 'quit',
  help: 'leave the console (so does Ctrl+D)',
  minArgs: 0,
  maxArgs: 0,
  async run(ctx) {
    ctx.quitting = true;
    return { json: undefined, text: [] };
  },
};
