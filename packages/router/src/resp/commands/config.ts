import * as R from '../resp-encoder';
import type { RespCommand } from './resp-command';

/** CONFIG GET parameter [parameter ...]: the few parameters clients ask about (a map in RESP3); no other subcommand. */
export const config: RespCommand = {
  name: 'config',
  arity: [2, Infinity],
  run: (s, args, done) => {
    const sub = args[1].toString().toLowerCase();
    if (sub !== 'get') {
      done(R.error(`ERR kvndb does not support CONFIG ${sub.toUpperCase()}`));
      return;
    }
    const known: Record<string, string> = { save: '', appendonly: 'no', databases: '1' };
    const out: Array<[string, string]> = [];
    for (const p of args.slice(2)) {
      const name = p.toString().toLowerCase();
      if (Object.hasOwn(known, name) && !out.some(([n]) => n === name)) out.push([name, known[name]]);
    }
    done(R.map(out, s.proto));
  },
};
