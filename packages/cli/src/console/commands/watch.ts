import { KvndbError } from '@kvndb/shared';
import type { ChangeEvent } from '@kvndb/shared';
import type { ConsoleCommand } from '../context';
import { formatText, formatValue, jsonValue } from '../format';

const USAGE = 'watch [PREFIX] [--from SEQ]';

/** How often a live tail looks for Ctrl+C while no event arrives. */
const ABORT_POLL_MS = 100;

export const watchCommand: ConsoleCommand = {
  name: 'watch',
  aliases: ['tail'],
  usage: USAGE,
  help: 'print every change to keys starting with PREFIX as it happens (after seq SEQ with --from) until Ctrl+C',
  minArgs: 0,
  maxArgs: 3,
  completesKeys: 'first',
  flags: ['--from'],
  async run(ctx, args) {
    let prefix = '';
    let fromSeq: number | undefined;
    for (let i = 0; i < args.length; i++) {
      const text = args[i].toString('utf8');
      if (text === '--from') {
        const seq = args[++i]?.toString('utf8');
        if (seq === undefined || !/^\d+$/.test(seq)) throw KvndbError.badRequest(`--from needs a seq; usage: ${USAGE}`);
        fromSeq = Number(seq);
      } else if (prefix === '' && i === 0) {
        prefix = text;
      } else {
        throw KvndbError.badRequest(`usage: ${USAGE}`);
      }
    }
    const watch = ctx.client.watch(prefix, fromSeq === undefined ? {} : { fromSeq });
    // Ctrl+C sets ctx.aborted; the watch is closed then, which ends the loop below.
    const poll = setInterval(() => {
      if (ctx.aborted) watch.close();
    }, ABORT_POLL_MS);
    let count = 0;
    try {
      const start = await watch.started;
      if (ctx.interactive && !ctx.json) ctx.print(`(watching ${prefix === '' ? 'every key' : `keys starting with ${formatText(prefix)}`} after seq ${start}; Ctrl+C stops)`);
      for await (const e of watch) {
        count++;
        ctx.print(ctx.json ? JSON.stringify(eventJson(e)) : eventLine(e));
      }
    } finally {
      clearInterval(poll);
      watch.close();
    }
    return { json: { events: count }, text: ctx.json ? [] : [`(${count} changes)`] };
  },
};

function eventLine(e: ChangeEvent): string {
  const key = e.type === 'flush' ? '(every key)' : formatText(e.key);
  return e.value === undefined ? `${e.seq} ${e.type} ${key}` : `${e.seq} ${e.type} ${key} ${formatValue(e.value)}`;
}

function eventJson(e: ChangeEvent): Record<string, unknown> {
  const out: Record<string, unknown> = { epoch: e.epoch, seq: e.seq, type: e.type, key: e.key, version: e.version };
  if (e.value !== undefined) out.value = jsonValue(e.value);
  return out;
}
