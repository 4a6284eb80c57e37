import { formatOutputLimitConfig, parseNotifyFlags, parseOutputLimitConfig, type OutputLimit } from '../../pubsub';
import * as R from '../resp-encoder';
import type { RespSession } from '../resp-session';
import type { RespCommand } from './resp-command';

/** Parameters with a fixed answer: clients ask about them; kvndb does not change them. */
const FIXED: Record<string, string> = { save: '', appendonly: 'no', databases: '1' };

/** Parameters CONFIG SET changes, each with its reader and its checked setter (errors in Redis's words). */
interface Settable {
  get(s: RespSession): string;
  check(value: string): { apply(s: RespSession): void } | { error: string };
}

const SETTABLE: Record<string, Settable> = {
  'notify-keyspace-events': {
    get: (s) => s.server.backend.keyspaceEvents.config,
    check: (value) => {
      const flags = parseNotifyFlags(value);
      return typeof flags === 'number' ? { apply: (s) => s.server.backend.keyspaceEvents.setFlags(flags) } : flags;
    },
  },
  'client-output-buffer-limit': {
    get: (s) => formatOutputLimitConfig(s.server.backend.pubsub.outputLimit),
    check: (value) => {
      const limit = parseOutputLimitConfig(value);
      if ('error' in limit) return limit;
      return { apply: (s) => (s.server.backend.pubsub.outputLimit = limit as OutputLimit) };
    },
  },
};

/**
 * CONFIG GET parameter [parameter ...] (a map in RESP3) and CONFIG SET parameter value
 * [parameter value ...] for the parameters kvndb lets a client change: notify-keyspace-
 * events and the pubsub class of client-output-buffer-limit. A SET changes nothing unless
 * every pair is good, as in Redis. No other subcommand.
 */
export const config: RespCommand = {
  name: 'config',
  arity: [2, Infinity],
  run: (s, args, done) => {
    const sub = args[1].toString().toLowerCase();
    if (sub === 'get') done(get(s, args));
    else if (sub === 'set') done(set(s, args));
    else done(R.error(`ERR kvndb does not support CONFIG ${sub.toUpperCase()}`));
  },
};

function get(s: RespSession, args: Buffer[]): Buffer {
  const out: Array<[string, string]> = [];
  for (const p of args.slice(2)) {
    const name = p.toString().toLowerCase();
    if (out.some(([n]) => n === name)) continue;
    if (Object.hasOwn(FIXED, name)) out.push([name, FIXED[name]]);
    else if (Object.hasOwn(SETTABLE, name)) out.push([name, SETTABLE[name].get(s)]);
  }
  return R.map(out, s.proto);
}

function set(s: RespSession, args: Buffer[]): Buffer {
  if (args.length < 4 || args.length % 2 !== 0) return R.error("ERR wrong number of arguments for 'config|set' command");
  const changes: Array<{ apply(s: RespSession): void }> = [];
  const seen = new Set<string>();
  for (let i = 2; i < args.length; i += 2) {
    const name = args[i].toString().toLowerCase();
    const param = Object.hasOwn(SETTABLE, name) ? SETTABLE[name] : undefined;
    if (param === undefined) {
      if (Object.hasOwn(FIXED, name)) return R.error(`ERR kvndb does not support CONFIG SET ${name}`);
      return R.error(`ERR Unknown option or number of arguments for CONFIG SET - '${args[i].toString()}'`);
    }
    const failed = (why: string): Buffer => R.error(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${why}`);
    if (seen.has(name)) return failed('duplicate parameter');
    seen.add(name);
    const checked = param.check(args[i + 1].toString('latin1'));
    if ('error' in checked) return failed(checked.error);
    changes.push(checked);
  }
  for (const c of changes) c.apply(s);
  return R.OK;
}
