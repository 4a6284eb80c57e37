import type { Entry } from '@kvndb/shared';
import type { ConsoleCommand } from '../context';
import { formatValue, jsonValue } from '../format';
import { keyArg, keyArgs } from './args';

/** An entry's metadata as the console shows it: version, when it was written, when it expires, its content type if any. */
function describe(e: Entry): string {
  const updated = e.updated > 0 ? new Date(e.updated).toISOString() : 'unknown';
  const expires = e.expires > 0 ? `expires ${new Date(e.expires).toISOString()}` : 'no expiry';
  const type = e.contentType === undefined ? '' : `, content type ${e.contentType}`;
  return `version ${e.version}, updated ${updated}, ${expires}${type}`;
}

function json(e: Entry, key?: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(key === undefined ? {} : { key }), value: jsonValue(e.value), version: e.version, updated: e.updated, expires: e.expires };
  if (e.contentType !== undefined) out.contentType = e.contentType;
  return out;
}

export const entryCommand: ConsoleCommand = {
  name: 'entry',
  aliases: ['version'],
  usage: 'entry KEY',
  help: 'show the value of KEY with its version (for put --if-version), updated time, expiry and content type',
  minArgs: 1,
  maxArgs: 1,
  completesKeys: 'first',
  async run(ctx, args) {
    const e = await ctx.client.getEntry(keyArg(args[0]));
    if (e === null) return { json: null, text: [formatValue(null)] };
    return { json: json(e), text: [formatValue(e.value), describe(e)] };
  },
};

export const latestCommand: ConsoleCommand = {
  name: 'latest',
  aliases: [],
  usage: 'latest KEY [KEY...]',
  help: 'of several keys, show the most recently updated one and its value',
  minArgs: 1,
  maxArgs: Infinity,
  completesKeys: 'all',
  async run(ctx, args) {
    const e = await ctx.client.latest(keyArgs(args));
    if (e === null) return { json: null, text: [formatValue(null)] };
    return { json: json(e, e.key), text: [`${e.key}: ${formatValue(e.value)}`, describe(e)] };
  },
};
