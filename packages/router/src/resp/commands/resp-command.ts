import { isUtf8 } from 'node:buffer';
import type { TxnOp, WriteResult } from '@kvndb/shared';
import type { RespSession } from '../resp-session';
import * as R from '../resp-encoder';

/** Answers one command: called once with its RESP reply. */
export type Done = (reply: Buffer) => void;

/** Runs one command; `args[0]` is its name. A throw is answered as an error reply. */
export type Handler = (s: RespSession, args: Buffer[], done: Done) => void;

/**
 * One command of the RESP door. The session looks it up by name, refuses it before AUTH
 * unless preAuth, checks its arity, then runs it. A command that maps onto a native one
 * sends the native request [op, 0, ...args] through s.call() or s.request().
 */
export interface RespCommand {
  /** Lower case, as Redis names it. */
  readonly name: string;
  /** [min, max] number of arguments, the command's name included (Redis's arity). */
  readonly arity: readonly [number, number];
  /** May run before AUTH when a password is set. */
  readonly preAuth?: boolean;
  readonly run: Handler;
  /**
   * The command inside MULTI: its arguments as write ops of the EXEC's one transaction, and
   * how their results become its reply. Throws (the error is the queue-time reply, and EXEC
   * is then refused) for a syntax error. Without it the command is refused inside MULTI.
   */
  readonly toOps?: (args: Buffer[]) => TxnPart;
  /** Allowed in RESP2's subscribed mode ((P)SUBSCRIBE, (P)UNSUBSCRIBE, PING, QUIT). */
  readonly whenSubscribed?: boolean;
  /** Runs at once inside MULTI instead of being queued (EXEC, DISCARD, MULTI, WATCH, QUIT). */
  readonly runsInMulti?: boolean;
}

/**
 * One queued command's share of a transaction. `reply` gets the results of exactly its
 * `ops`, none of them failed (EXEC answers a failed op's error in the command's place), in
 * the protocol the connection spoke at EXEC.
 */
export interface TxnPart {
  readonly ops: TxnOp[];
  reply(results: WriteResult[], proto: R.Proto): Buffer;
}

/** The reply to a command given too few or too many arguments. */
export function wrongArity(args: Buffer[]): Buffer {
  return R.error(`ERR wrong number of arguments for '${args[0].toString().toLowerCase()}' command`);
}

/**
 * kvndb keys are strings; Redis keys are bytes. A key that is not UTF-8 is refused before
 * anything is sent to the router, so a command with such a key applies nothing.
 */
export const NOT_UTF8 = 'kvndb keys must be valid UTF-8 (this key is not)';

/** A key argument, which must be UTF-8. */
export function key(buf: Buffer): string {
  return keyIn(buf, 0, buf.length);
}

/** The key in bytes start..end of data, which must be UTF-8. */
export function keyIn(data: Buffer, start: number, end: number): string {
  // Short ASCII keys (the usual case) are checked in JS: cheaper than a native isUtf8 call.
  if (end - start <= 64) {
    let i = start;
    while (i < end && data[i] < 0x80) i++;
    if (i === end) return data.toString('latin1', start, end);
  }
  const bytes = data.subarray(start, end);
  // A plain Error: answered `-ERR ...`, as Redis words a refused argument.
  if (!isUtf8(bytes)) throw new Error(NOT_UTF8);
  return bytes.toString('utf8');
}

/** A value or nil as a bulk reply. */
export const toBulk = (v: unknown, proto: R.Proto): Buffer => R.bulkOrNil(v as Uint8Array | null, proto);
