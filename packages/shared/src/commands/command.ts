import type { StoredBytes } from '../codec/latin1-bytes';
import type { Limits } from '../protocol/limits';
import type { WriteOp } from '../protocol/types';

/**
 * One command of the native protocol, everything about it in one place: its opcode and
 * message shape, how the router routes it and checks its arguments, how a replica answers
 * it, and the client methods that send it. commands/index.ts registers every command; the
 * router, the replica, the client and the console look commands up there instead of
 * switching on opcodes. docs/ARCHITECTURE.md "Adding a command" gives the steps.
 */
export interface Command {
  /** Lower case; the console verb and, where the RESP door has the same command, its name. */
  readonly name: string;
  readonly op: number;
  /** Request message length [min, max], op and id included: [GET, id, key] is 3. */
  readonly arity: readonly [number, number];
  /**
   * 'read': answered by one in-sync replica. 'write': sequenced and applied by every replica.
   * 'router': answered by the router itself.
   */
  readonly route: 'read' | 'write' | 'router';
  /** One line for help texts. */
  readonly summary: string;
  /** Reads: check a request [op, id, ...args] and give the replica-bound message (its id is the link's). */
  toRead?(msg: unknown[], limits: Limits): unknown[];
  /** Reads: the replica's answer from its store at router time `now`, for a message toRead() made. */
  serve?(store: ReadStore, msg: unknown[], now: number): unknown;
  /** Writes: check a request and give the op list of its WRITE. */
  toWrite?(msg: unknown[], limits: Limits): WriteOp[];
  /** Writes: how the per-op results of the WRITE become the answer. */
  readonly answer?: Answer;
  /**
   * Writes that may wait (a blocking pop): how long this request waits for its keys, in ms
   * (0: it does not wait; -1: forever). The router holds such a request (router/src/blocking)
   * and sequences its write when a write to one of `waitKeys` makes it possible.
   */
  waitMs?(msg: unknown[]): number;
  /** The keys a waiting request waits on. */
  waitKeys?(msg: unknown[]): string[];
  /** The client methods sending this command, by method name. */
  readonly methods: Readonly<Record<string, ClientMethod<any[], any>>>;
}

/**
 * The answer of a write: its first op's result, that with the write's seq (the version it
 * gave the key: [result, version]), all of them, or nil. A first op that failed (an
 * OpError) is answered as that error.
 */
export const Answer = { First: 1, All: 2, Nil: 0, Versioned: 3 } as const;
export type Answer = (typeof Answer)[keyof typeof Answer];

/**
 * What a replica's store offers to reads. `now` is the request's router time: a key whose
 * expiry is at or before it is absent.
 */
export interface ReadStore {
  /** The value, or undefined. */
  get(key: string, now: number): Buffer | undefined;
  /** The same, or the bytes as Latin1Bytes where the store keeps them so (the replica frames those without a copy). */
  getStored(key: string, now: number): StoredBytes | undefined;
  has(key: string, now: number): boolean;
  /** The value with its version, updated time, expiry (0: none) and content type (absent or null: none). */
  entry(key: string, now: number): { value: Buffer; version: number; updated: number; expires: number; list?: number; contentType?: string | null } | undefined;
  /** Up to `limit` keys starting with `prefix` after `after`, in code point order. */
  scan(prefix: string, after: string | null, limit: number, now: number): string[];
  /** Keys stored (expired ones not yet removed included). */
  count(): number;
  /** A live key chosen at random (each about equally likely), or undefined when there is none. */
  randomKey(now: number): string | undefined;
  /** What the key holds ('string' or 'list'), or undefined. Optional for other commands' stand-in stores. */
  typeOf?(key: string, now: number): 'string' | 'list' | undefined;
  /** The length of the list at `key` (0: none); throws WRONG_TYPE for a string. */
  listLength?(key: string, now: number): number;
  /** Items start..stop (Redis LRANGE indexes) of the list at `key`; throws WRONG_TYPE for a string. */
  list?(key: string, start: number, stop: number, now: number): Buffer[];
  /**
   * Of those, keys with an expiry. Both replica stores have it; optional only so that the
   * stand-in stores of other commands' spec tests need not.
   */
  expiringCount?(): number;
}

/**
 * A client method: the request it sends for its arguments, and what it resolves with. The
 * client calls request() with the router's limits and the method's arguments, then sends
 * the message (its id filled in) or, for an Immediate, resolves without asking the router.
 */
export interface ClientMethod<A extends unknown[], R> {
  /** Throws BAD_REQUEST or TOO_LARGE for arguments the router would refuse. */
  request(limits: Limits, args: A): unknown[] | Immediate<R>;
  /**
   * The RESULT value as the method promises it; throws PROTOCOL_ERROR on a wrong shape. It
   * gets the method's arguments too, for answers shaped by the request (a transaction's
   * results are decoded op by op).
   */
  decode(value: unknown, args: A): R;
  /** A read is re-sent after a reconnect; a write may have been applied, so it fails instead. */
  readonly retryable: boolean;
  /**
   * A blocking request: how long the router may hold it on purpose for these arguments, in
   * ms (-1: forever; undefined or 0: it does not block). The client times it out that much
   * later than others. A retryable one (a blocking read) is sent again after a reconnect with
   * what is left of its wait; a write (a blocking pop) is not.
   */
  waitMs?(args: A): number | undefined;
}

/** An answer known without asking the router (mget of no keys). */
export class Immediate<R> {
  constructor(readonly value: R) {}
}

/** The function a ClientMethod becomes on the client. */
export type MethodOf<M> = M extends ClientMethod<infer A, infer R> ? (...args: A) => Promise<R> : never;
