import { Op } from '@kvndb/shared';
import * as R from '../resp-encoder';
import type { RespCommand } from './resp-command';

/** RANDOMKEY: native RANDOMKEY; a key chosen at random by the replica serving it, or nil. */
export const randomkey: RespCommand = {
  name: 'randomkey',
  arity: [1, 1],
  run: (s, _args, done) => s.call([Op.RANDOMKEY, 0], done, (k, proto) => R.bulkOrNil(k as string | null, proto)),
};
