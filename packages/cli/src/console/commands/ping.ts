import type { ConsoleCommand } from '../context';

export const pingCommand: ConsoleCommand = {
  name: 'ping',
  aliases: [],
  usage: 'ping',
  help: 'check the connection to the router (shows the round trip in ms)',
  minArgs: 0,
  maxArgs: 0,
  async run(ctx) {
    const start = process.hrtime.bigint();
    await ctx.client.ping();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    return { json: 'PONG', text: [ctx.interactive ? `PONG (${ms.toFixed(2)} ms)` : 'PONG'] };
  },
};
