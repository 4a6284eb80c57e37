import type { ConsoleCommand } from '../context';
import { valueArg } from './value-files';

export const publishCommand: ConsoleCommand = {
  name: 'publish',
  aliases: [],
  usage: 'publish CHANNEL MESSAGE|@FILE',
  help: 'send MESSAGE to the subscribers of CHANNEL (at any door, redis-cli included); prints how many received it',
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, args) {
    const receivers = await ctx.client.publish(args[0].toString('utf8'), await valueArg(args[1]));
    return { json: receivers, text: [`(${receivers} receiver${receivers === 1 ? '' : 's'})`] };
  },
};
