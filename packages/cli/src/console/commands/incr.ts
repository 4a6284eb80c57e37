import { KvndbError } from '@kvndb/shared';
import type { ConsoleCommand, ConsoleContext } from '../context';
import { keyArg } from './args';

/** A 64-bit counter step as typed; the client checks the range. */
function stepArg(arg: Buffer | undefined): bigint {
  const text = arg === undefined ? '1' : arg.toString('utf8');
  if (!/^-?\d+$/.test(text)) throw KvndbError.badRequest(`the step must be an integer, got ${JSON.stringify(text)}`);
  return BigInt(text);
}

/** Over the whole 64-bit range (incrBig), as Redis counters go: the console prints what it gets exactly. */
async function add(ctx: ConsoleContext, args: Buffer[], sign: 1n | -1n) {
  const n = await ctx.client.incrBig(keyArg(args[0]), (sign * stepArg(args[1])).toString());
  return { json: n.toString(), text: [`(integer) ${n}`] };
}

export const incrCommand: ConsoleCommand = {
  name: 'incr',
  aliases: ['incrby'],
  usage: 'incr KEY [BY]',
  help: 'add BY (default 1) to the counter at KEY and show the new value',
  minArgs: 1,
  maxArgs: 2,
  completesKeys: 'first',
  run: (ctx, args) => add(ctx, args, 1n),
};

export const decrCommand: ConsoleCommand = {
  name: 'decr',
  aliases: ['decrby'],
  usage: 'decr KEY [BY]',
  help: 'subtract BY (default 1) from the counter at KEY and show the new value',
  minArgs: 1,
  maxArgs: 2,
  completesKeys: 'first',
  run: (ctx, args) => add(ctx, args, -1n),
};
