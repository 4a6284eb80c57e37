import { isUtf8 } from 'node:buffer';
import { ErrorCode, KvndbError } from '@kvndb/shared';
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
}

/** The reply to a command given too few or too many arguments. */
export function wrongArity(args: Buffer[]): Buffer {
  return R.error(`ERR wrong number of arguments for '${args[0].toString().toLowerCase()}' command`);
}

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
  if (!isUtf8(bytes)) throw new KvndbError(ErrorCode.BAD_REQUEST, 'kvndb keys are UTF-8 strings; this key is not valid UTF-8');
  return bytes.toString('utf8');
}

/** A value or nil as a bulk reply. */
export const toBulk = (v: unknown): Buffer => R.bulk(v as Uint8Array | null);
