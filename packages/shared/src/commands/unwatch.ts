import { Op } from '../protocol/opcodes';
import { KvndbError } from '../protocol/errors';
import { describe } from '../protocol/limits';
import type { Command } from './command';

/** The watch id of an UNWATCH message [UNWATCH, id, watchId]; throws BAD_REQUEST. */
export function parseUnwatch(msg: unknown[]): number {
  const id = msg[2];
  if (!Number.isSafeInteger(id) || (id as number) <= 0) throw KvndbError.badRequest(`UNWATCH needs the id of the WATCH request, got ${describe(id)}`);
  return id as number;
}

/** UNWATCH: close the watch this connection opened with request id watchId; answers whether it was open. */
export const unwatch = {
  name: 'unwatch',
  op: Op.UNWATCH,
  arity: [3, 3],
  route: 'router',
  summary: 'stop a watch opened on this connection',
  methods: {},
} as const satisfies Command;
