import * as R from '../resp-encoder';
import type { RespCommand } from './resp-command';

/** CLIENT subcommands that client libraries send on connecting: accepted, and otherwise ignored. */
export const client: RespCommand = {
  name: 'client',
  arity: [2, Infinity],
  run: (_s, args, done) => {
    const sub = args[1].toString().toLowerCase();
    if (sub === 'setname' || sub === 'setinfo' || sub === 'no-evict' || sub === 'no-touch' || sub === 'reply') done(R.OK);
    else if (sub === 'getname') done(R.NULL_BULK);
    else if (sub === 'id') done(R.integer(1));
    else done(R.error(`ERR kvndb does not support CLIENT ${sub.toUpperCase()}`));
  },
};
