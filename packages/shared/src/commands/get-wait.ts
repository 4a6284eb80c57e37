import { Op } from '../protocol/opcodes';
import { checkKey, type Limits } from '../protocol/limits';
import { checkWaitMs } from './blocking';
import type { Command } from './command';

/** The key and wait of a GET_WAIT message [GET_WAIT, id, key, waitMs]; throws BAD_REQUEST or TOO_LARGE. */
export function parseGetWait(msg: unknown[], limits: Limits): { key: string; waitMs: number } {
  checkKey(msg[2], limits);
  return { key: msg[2], waitMs: checkWaitMs(msg[3]) };
}

/**
 * GET_WAIT: the value of KEY as soon as it exists, or nil after waitMs. The router arranges
 * it (changes/key-waiters.ts); the client sends it for get(key, { waitMs }).
 */
export const getWait = {
  name: 'getwait',
  op: Op.GET_WAIT,
  arity: [4, 4],
  route: 'router',
  summary: 'the value of KEY as soon as it exists, or nil after WAITMS',
  methods: {},
} as const satisfies Command;
