import { KvndbError } from '@kvndb/shared';
import type { ConsoleCommand } from '../context';
import { formatText, formatValue, jsonValue } from '../format';
import { keyArg } from './args';
import { fileArg, writeValueFile } from './value-files';

const USAGE = 'get KEY [--wait MS] [> FILE]';

export const getCommand: ConsoleCommand = {
  name: 'get',
  aliases: ['show', 'view', 'print'],
  usage: USAGE,
  help: 'show the value of KEY, or (nil) when it does not exist; --wait MS waits up to MS ms for it to exist; > FILE writes its raw bytes to FILE',
  minArgs: 1,
  maxArgs: 5,
  completesKeys: 'first',
  flags: ['--wait'],
  async run(ctx, all) {
    const { args, waitMs } = waitOption(all);
    const file = redirection(args);
    const key = keyArg(args[0]);
    const value = waitMs === undefined ? await ctx.client.getBuffer(key) : await ctx.client.getBuffer(key, { waitMs });
    if (file === null || value === null) return { json: jsonValue(value), text: [formatValue(value)] };
    // A missing key writes no file: an empty file would read back as an empty value.
    await writeValueFile(file, value);
    return { json: { wrote: value.length, file }, text: [`(wrote ${value.length} bytes to ${formatText(file)})`] };
  },
};

/** `--wait MS` anywhere after KEY: the arguments without it, and the wait. */
function waitOption(args: Buffer[]): { args: Buffer[]; waitMs: number | undefined } {
  const at = args.findIndex((a, i) => i > 0 && a.toString('utf8') === '--wait');
  if (at < 0) return { args, waitMs: undefined };
  const ms = args[at + 1]?.toString('utf8');
  if (ms === undefined || !/^\d+$/.test(ms)) throw KvndbError.badRequest(`--wait needs a number of milliseconds; usage: ${USAGE}`);
  return { args: [...args.slice(0, at), ...args.slice(at + 2)], waitMs: Number(ms) };
}

/** `get KEY > FILE` or `get KEY >FILE`: the file to write, or null to print. */
function redirection(args: Buffer[]): string | null {
  if (args.length === 1) return null;
  const op = args[1].toString('utf8');
  let target: Buffer;
  if (args.length === 3 && op === '>') target = args[2];
  else if (args.length === 2 && op.startsWith('>') && op.length > 1) target = args[1].subarray(1);
  else throw KvndbError.badRequest(`usage: ${USAGE}`);
  if (target[0] === 0x3e) throw KvndbError.badRequest('>> (append) is not supported; use > FILE');
  return fileArg(target, USAGE);
}
