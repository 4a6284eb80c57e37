import type { ConsoleCommand } from '../context';
import { formatStatus } from '../format';

export const statusCommand: ConsoleCommand = {
  name: 'status',
  aliases: ['info'],
  usage: 'status',
  help: "the router's epoch and seq, each replica's state, lag and resync progress, clients and op rates",
  minArgs: 0,
  maxArgs: 0,
  async run(ctx) {
    const status = await ctx.client.status();
    return { json: status, text: formatStatus(status) };
  },
};
