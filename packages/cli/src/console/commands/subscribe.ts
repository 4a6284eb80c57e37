import type { PubSubMessage } from '@kvndb/shared';
import type { ConsoleCommand, ConsoleContext, Reply } from '../context';
import { formatValue, jsonValue } from '../format';

/** How often a live tail looks for Ctrl+C. */
const ABORT_POLL_MS = 100;

/**
 * A live tail of messages until Ctrl+C: one line per message, `CHANNEL: MESSAGE` (with the
 * pattern it matched in brackets for psubscribe), or one JSON object per line with --json.
 */
async function tail(ctx: ConsoleContext, kind: 'channels' | 'patterns', args: Buffer[]): Promise<Reply> {
  const names = args.map((a) => a.toString('utf8'));
  let count = 0;
  const show = (m: PubSubMessage): void => {
    count++;
    if (ctx.json) ctx.print(JSON.stringify({ ...(m.pattern !== undefined ? { pattern: m.pattern } : {}), channel: m.channel, message: jsonValue(m.message) }));
    else ctx.print(`${m.pattern !== undefined ? `[${m.pattern}] ` : ''}${m.channel}: ${formatValue(m.message)}`);
  };
  const sub = kind === 'channels' ? await ctx.client.subscribe(names, show) : await ctx.client.psubscribe(names, show);
  if (!ctx.json) ctx.print(`(subscribed to ${names.join(', ')}; Ctrl+C stops)`);
  while (!ctx.aborted && !ctx.quitting) await new Promise((resolve) => setTimeout(resolve, ABORT_POLL_MS));
  await sub.unsubscribe();
  return { json: undefined, text: [`(unsubscribed after ${count} message${count === 1 ? '' : 's'})`] };
}

export const subscribeCommand: ConsoleCommand = {
  name: 'subscribe',
  aliases: [],
  usage: 'subscribe CHANNEL...',
  help: 'show the messages published on CHANNEL... as they come, until Ctrl+C (nothing is stored: only messages published from now on)',
  minArgs: 1,
  maxArgs: Infinity,
  run: (ctx, args) => tail(ctx, 'channels', args),
};

export const psubscribeCommand: ConsoleCommand = {
  name: 'psubscribe',
  aliases: [],
  usage: 'psubscribe PATTERN...',
  help: "subscribe to every channel matching PATTERN... (Redis's globs: news.*, user:?, [a-c]*), until Ctrl+C",
  minArgs: 1,
  maxArgs: Infinity,
  run: (ctx, args) => tail(ctx, 'patterns', args),
};
