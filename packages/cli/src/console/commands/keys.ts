import { KvndbError } from '@kvndb/shared';
import type { ConsoleCommand, ConsoleContext, Reply } from '../context';
import { layoutColumns } from '../columns';
import { formatText } from '../format';
import { keyArg } from './args';

/** Keys per request: the protocol's default page, never one unbounded message. */
export const KEYS_PAGE_SIZE = 1000;

export const MORE_HINT = '(more keys: `more` shows the next page, `keys --all PREFIX` lists them all)';

export const keysCommand: ConsoleCommand = {
  name: 'keys',
  aliases: ['getkeys', 'list'],
  usage: 'keys [--all] [PREFIX]',
  help: `list keys starting with PREFIX in key order; interactively ${KEYS_PAGE_SIZE} at a time (see more), --all for every one`,
  minArgs: 0,
  maxArgs: 2,
  completesKeys: 'first',
  flags: ['--all', '-a'],
  async run(ctx, args) {
    let all = false;
    const rest: Buffer[] = [];
    for (const arg of args) {
      const text = arg.toString('utf8');
      if (keysCommand.flags?.includes(text)) all = true;
      else rest.push(arg);
    }
    if (rest.length > 1) throw KvndbError.badRequest('usage: keys [--all] [PREFIX]');
    const prefix = rest.length ? keyArgOrEmpty(rest[0]) : '';
    // A script or JSON consumer wants the whole answer; a person wants a screenful.
    if (all || !ctx.interactive || ctx.json) return listAll(ctx, prefix);
    return listPage(ctx, prefix, null);
  },
};

export const moreCommand: ConsoleCommand = {
  name: 'more',
  aliases: ['next'],
  usage: 'more',
  help: 'show the next page of the last keys listing',
  minArgs: 0,
  maxArgs: 0,
  async run(ctx) {
    const pager = ctx.pager;
    if (!pager) return { json: [], text: ['(no more keys)'] };
    return listPage(ctx, pager.prefix, pager.cursor);
  },
};

/** Keys as shown: in columns across a terminal, one per line anywhere else. */
function layout(ctx: ConsoleContext, keys: string[]): string[] {
  const shown = keys.map(formatText);
  const width = ctx.width;
  return width ? layoutColumns(shown, width) : shown;
}

function keyArgOrEmpty(arg: Buffer): string {
  return arg.length === 0 ? '' : keyArg(arg);
}

/** One page; remembers where it stopped so `more` can go on. */
async function listPage(ctx: ConsoleContext, prefix: string, cursor: string | null): Promise<Reply> {
  const page = await ctx.client.keys(prefix, { limit: KEYS_PAGE_SIZE, cursor });
  ctx.pager = page.cursor ? { prefix, cursor: page.cursor } : null;
  const text = layout(ctx, page.keys);
  if (page.keys.length === 0) text.push(cursor ? '(no more keys)' : '(no keys)');
  if (page.cursor) text.push(MORE_HINT);
  return { json: page.keys, text };
}

/**
 * Every key, page by page. Text is printed as each page arrives so a large listing starts
 * at once and is not held in memory; JSON needs the one array, so it is collected.
 */
async function listAll(ctx: ConsoleContext, prefix: string): Promise<Reply> {
  ctx.pager = null;
  const collected: string[] = [];
  let cursor: string | null = null;
  let count = 0;
  do {
    if (ctx.aborted) throw new KvndbError('INTERRUPTED', `interrupted after ${count} keys`);
    const page = await ctx.client.keys(prefix, { limit: KEYS_PAGE_SIZE, cursor });
    count += page.keys.length;
    if (ctx.json) collected.push(...page.keys);
    else {
      for (const line of layout(ctx, page.keys)) ctx.print(line);
      await ctx.flush();
    }
    cursor = page.cursor;
  } while (cursor);
  const text = ctx.interactive && count === 0 ? ['(no keys)'] : [];
  return { json: collected, text };
}
