import * as R from '../resp-encoder';
import type { RespCommand } from './resp-command';

/**
 * COMMAND [COUNT]: the number of commands in `table` (the registry in index.ts, which hands
 * itself in); anything else an empty array, which clients take as "no command docs".
 */
export function commandCommand(table: ReadonlyMap<string, RespCommand>): RespCommand {
  return {
    name: 'command',
    arity: [1, Infinity],
    run: (_s, args, done) => {
      const sub = args[1]?.toString().toLowerCase();
      if (sub === 'count') done(R.integer(table.size));
      else done(R.EMPTY_ARRAY);
    },
  };
}
