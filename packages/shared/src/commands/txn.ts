import { KvndbError } from '../protocol/errors';
import { checkKey, checkValue, describe, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import { ExpireCond, isOpError, type TxnCompare, type TxnOp, type WriteOp } from '../protocol/types';
import { badAnswer, bufferOrNull, stringOrNull } from './answers';
import { setOp, valueBytes, type Value } from './checks';
import { Answer, type Command } from './command';
import { deltaArg } from './incr';
import { entryOrNull, type Entry } from './mget';
import { setFlags, type SetOptions } from './set-options';

/** One comparison of a transaction's `if`: all must hold for `then` to run. */
export type TxnCondition =
  /** The key's version is this (0: the key does not exist). */
  | { key: string; version: number }
  /** The key exists and holds exactly this value. */
  | { key: string; value: Value }
  /** The key exists (true) or does not (false). */
  | { key: string; exists: boolean };

/** One op of a transaction's `then` or `else`, and what its result is. */
export type TxnStep =
  /** Store a value (SetOptions' conditions and expiry apply): whether it was stored; with `get`, the previous value (Buffer or null). */
  | ({ op: 'set'; key: string; value: Value; get?: boolean } & Omit<SetOptions, 'get' | 'nx' | 'xx'>)
  /** Delete: whether the key existed. */
  | { op: 'del'; key: string }
  /** Add `by` (default 1) to a counter: the new value (a number, within 2^53 - 1). */
  | { op: 'incr'; key: string; by?: number | bigint | string }
  /** Add a float: the new value as a number. */
  | { op: 'incrFloat'; key: string; by: number | string }
  /** Append bytes: the new length. */
  | { op: 'append'; key: string; value: Value }
  /** Give the key an expiry, `ttlMs` from the write or at `expireAt`: whether it had the key. */
  | { op: 'expire'; key: string; ttlMs?: number; expireAt?: number }
  /** Remove the key's expiry: whether it had one. */
  | { op: 'persist'; key: string }
  /** Read and delete: the value (Buffer) or null. */
  | { op: 'getDel'; key: string }
  /** Read the value as a UTF-8 string, or null. */
  | { op: 'get'; key: string }
  /** Read the value as bytes, or null. */
  | { op: 'getBuffer'; key: string }
  /** Read the value with its version, updated time, expiry and content type (when it has one), or null. */
  | { op: 'getEntry'; key: string };

/** A transaction: when every `if` comparison holds, `then` runs, else `else`; atomically, at one position of the write stream. */
export interface Txn {
  if?: TxnCondition[];
  then?: TxnStep[];
  else?: TxnStep[];
}

/** One op's result: see TxnStep. An op that failed (incr of a non-number) is a KvndbError here, not thrown; it changed nothing. */
export type TxnOpResult = boolean | number | string | Buffer | Entry | KvndbError | null;

export interface TxnResult {
  /** Whether every comparison held (so `then` ran, else `else`). */
  succeeded: boolean;
  /** One result per op of the branch that ran. */
  results: TxnOpResult[];
}

/**
 * Bytes a message spends per op or comparison beyond its keys and values: MessagePack array,
 * kind, string and bin headers and set flags take 5 to 20.
 */
const OP_OVERHEAD = 24;

/** Sums the bytes of keys and values so a transaction over the frame limit is refused as TOO_LARGE up front. */
class SizeCount {
  /** The message's own header and the WRITE's (epoch, seq, time). */
  bytes = 32;
  constructor(private readonly limits: Limits) {}
  add(key: string, value?: Uint8Array): void {
    // Keys were checked against the key limit already; length * 3 bounds their UTF-8 size.
    this.bytes += OP_OVERHEAD + Math.min(key.length * 3, this.limits.maxKeyBytes) + (value?.length ?? 0);
  }
  check(): void {
    if (this.bytes > this.limits.maxFrameBytes) {
      throw KvndbError.tooLarge(`the transaction is about ${this.bytes} bytes, the frame limit is ${this.limits.maxFrameBytes}`, {
        size: this.bytes,
        limit: this.limits.maxFrameBytes,
      });
    }
  }
}

function positiveOrNull(what: string, v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (!Number.isSafeInteger(v) || (v as number) <= 0) throw KvndbError.badRequest(`${what} must be a positive integer of milliseconds, got ${describe(v)}`);
  return v as number;
}

const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function floatArg(v: unknown): string {
  const s = typeof v === 'number' ? String(v) : v;
  if (typeof s !== 'string' || !FLOAT.test(s) || !Number.isFinite(Number(s))) {
    throw KvndbError.badRequest(`a float increment must be a finite number, got ${describe(v)}`);
  }
  return s;
}

// ---- the router's checks -------------------------------------------------------------

function where(branch: string, i: number): string {
  return `TXN ${branch} op ${i}`;
}

/** One wire op of a branch, checked against the limits as its own command would be. */
function checkTxnOp(raw: unknown, branch: string, i: number, limits: Limits, size: SizeCount): TxnOp {
  if (!Array.isArray(raw)) throw KvndbError.badRequest(`${where(branch, i)} must be an array, got ${describe(raw)}`);
  const kind = raw[0];
  if (kind === 't' || kind === 'F' || kind === 'x') {
    const what = kind === 't' ? 'a transaction cannot hold a transaction' : kind === 'F' ? 'a flush cannot be inside a transaction' : 'a sweep cannot be inside a transaction';
    throw KvndbError.badRequest(`${where(branch, i)}: ${what}`);
  }
  const shape = (ok: boolean, form: string) => {
    if (!ok) throw KvndbError.badRequest(`${where(branch, i)}: ${form}`);
  };
  if (kind === 'P') {
    const keys = raw[1];
    shape(raw.length === 4 && Array.isArray(keys) && keys.length > 0, 'a pop is ["P", [key, ...], count|nil, left]');
    for (const k of keys as unknown[]) {
      checkKey(k, limits);
      size.add(k);
    }
    shape(raw[2] === null || (Number.isSafeInteger(raw[2]) && (raw[2] as number) >= 0), 'a pop count is an integer >= 0 or nil');
    shape(typeof raw[3] === 'boolean', 'a pop says which end (left: a boolean)');
    return ['P', keys as string[], raw[2] as number | null, raw[3] as boolean];
  }
  checkKey(raw[1], limits);
  const key = raw[1];
  const isIndex = (x: unknown): x is number => Number.isSafeInteger(x);
  switch (kind) {
    case 'H':
      shape(raw.length === 2, '["H", key]');
      size.add(key);
      return ['H', key];
    case 'L': {
      const values = raw[2];
      shape(raw.length === 5 && Array.isArray(values) && values.length > 0 && typeof raw[3] === 'boolean' && typeof raw[4] === 'boolean', 'a push is ["L", key, [bytes, ...], left, onlyIfList]');
      for (const v of values as unknown[]) {
        checkValue(v, limits);
        size.add(key, v);
      }
      return ['L', key, values as Uint8Array[], raw[3] as boolean, raw[4] as boolean];
    }
    case 'lr':
    case 'ls':
      shape(raw.length === 4 && isIndex(raw[2]), `["${kind}", key, integer, bytes]`);
      checkValue(raw[3], limits);
      size.add(key, raw[3]);
      return [kind, key, raw[2], raw[3]];
    case 'lt':
      shape(raw.length === 4 && isIndex(raw[2]) && isIndex(raw[3]), 'a list trim is ["lt", key, start, stop]');
      size.add(key);
      return ['lt', key, raw[2], raw[3]];
    case 'lm':
      shape(raw.length === 5 && typeof raw[3] === 'boolean' && typeof raw[4] === 'boolean', 'a list move is ["lm", from, to, fromLeft, toLeft]');
      checkKey(raw[2], limits);
      size.add(key);
      size.add(raw[2]);
      return ['lm', key, raw[2], raw[3], raw[4]];
    case 's': {
      shape(raw.length === 3 || raw.length === 4, 'a set is ["s", key, value, flags?]');
      const op = setOp(key, raw[2], raw[3], limits);
      size.add(key, op[2] as Uint8Array);
      return op;
    }
    case 'd':
    case 'gd':
    case 'G':
    case 'V':
      shape(raw.length === 2, `["${kind}", key]`);
      size.add(key);
      return [kind, key];
    case 'i': {
      shape((raw.length === 3 || raw.length === 4) && (raw.length === 3 || typeof raw[3] === 'boolean'), 'an increment is ["i", key, "integer", safe?]');
      const delta = deltaArg(raw[2]);
      size.add(key);
      return raw[3] ? ['i', key, delta, true] : ['i', key, delta];
    }
    case 'f':
      shape(raw.length === 3, 'a float increment is ["f", key, "number"]');
      size.add(key);
      return ['f', key, floatArg(raw[2])];
    case 'a':
      shape(raw.length === 3, 'an append is ["a", key, bytes]');
      checkValue(raw[2], limits);
      size.add(key, raw[2]);
      return ['a', key, raw[2]];
    case 'r': {
      shape(raw.length === 4 && Number.isSafeInteger(raw[2]) && raw[2] >= 0, 'a set-range is ["r", key, offset, bytes]');
      checkValue(raw[3], limits);
      if (raw[2] + raw[3].length > limits.maxValueBytes) {
        throw KvndbError.tooLarge(`${where(branch, i)}: the value would be ${raw[2] + raw[3].length} bytes, the limit is ${limits.maxValueBytes}`);
      }
      size.add(key, raw[3]);
      return ['r', key, raw[2], raw[3]];
    }
    case 'e': {
      shape(raw.length === 5, 'an expire is ["e", key, px|nil, at|nil, cond]');
      const px = positiveOrNull('expire px', raw[2]);
      const at = positiveOrNull('expire at', raw[3]);
      shape(px === null || at === null, 'an expire takes px or at, not both');
      shape(Object.values(ExpireCond).includes(raw[4]), 'an expire condition is 0 to 4');
      shape(px !== null || at !== null || raw[4] === ExpireCond.NONE, 'removing an expiry takes no condition');
      size.add(key);
      return ['e', key, px, at, raw[4]];
    }
    case 'gx': {
      shape(raw.length === 5 && typeof raw[4] === 'boolean', 'a get-expire is ["gx", key, px|nil, at|nil, persist]');
      const px = positiveOrNull('get-expire px', raw[2]);
      const at = positiveOrNull('get-expire at', raw[3]);
      shape(px === null || at === null, 'a get-expire takes px or at, not both');
      size.add(key);
      return ['gx', key, px, at, raw[4]];
    }
    case 'm': {
      shape(raw.length === 4, 'a move is ["m", from, to, flags]');
      checkKey(raw[2], limits);
      const f = raw[3] as Record<string, unknown> | null;
      shape(f !== null && typeof f === 'object' && !Array.isArray(f) && !(f instanceof Uint8Array), 'move flags must be a map');
      size.add(key);
      size.add(raw[2]);
      return ['m', key, raw[2], { ...(f!.nx ? { nx: true } : {}), ...(f!.copy ? { copy: true } : {}) }];
    }
    default:
      throw KvndbError.badRequest(`${where(branch, i)}: unknown kind ${JSON.stringify(String(kind))}`);
  }
}

function checkCompare(raw: unknown, i: number, limits: Limits, size: SizeCount): TxnCompare {
  const c = raw as unknown[];
  if (!Array.isArray(c) || c.length !== 3) throw KvndbError.badRequest(`TXN comparison ${i} is [kind, key, operand], got ${describe(raw)}`);
  checkKey(c[1], limits);
  if (c[0] === 'v' && Number.isSafeInteger(c[2]) && (c[2] as number) >= 0) {
    size.add(c[1]);
    return ['v', c[1], c[2] as number];
  }
  if (c[0] === '=' && c[2] instanceof Uint8Array) {
    checkValue(c[2], limits);
    size.add(c[1], c[2]);
    return ['=', c[1], c[2]];
  }
  if (c[0] === 'e' && typeof c[2] === 'boolean') {
    size.add(c[1]);
    return ['e', c[1], c[2]];
  }
  throw KvndbError.badRequest(`TXN comparison ${i}: expected ['v', key, version], ['=', key, bytes] or ['e', key, boolean]`);
}

function checkBranch(raw: unknown, branch: string, limits: Limits, size: SizeCount): TxnOp[] {
  if (!Array.isArray(raw)) throw KvndbError.badRequest(`TXN ${branch} must be an array of ops, got ${describe(raw)}`);
  return raw.map((op, i) => checkTxnOp(op, branch, i, limits, size));
}

/** A TXN request's `if`, `then` and `else` as the one 't' op of its WRITE. Throws BAD_REQUEST / TOO_LARGE. */
export function txnWrite(msg: unknown[], limits: Limits): WriteOp[] {
  const size = new SizeCount(limits);
  if (!Array.isArray(msg[2])) throw KvndbError.badRequest(`TXN if must be an array of comparisons, got ${describe(msg[2])}`);
  const ifs = (msg[2] as unknown[]).map((c, i) => checkCompare(c, i, limits, size));
  const then = checkBranch(msg[3], 'then', limits, size);
  const otherwise = checkBranch(msg[4], 'else', limits, size);
  size.check();
  return [['t', ifs, then, otherwise]];
}

// ---- the client's side -----------------------------------------------------------------

function conditionOf(c: TxnCondition, i: number, limits: Limits, size: SizeCount): TxnCompare {
  if (c === null || typeof c !== 'object') throw KvndbError.badRequest(`txn if[${i}] must be an object, got ${describe(c)}`);
  checkKey(c.key, limits);
  const given = (['version', 'value', 'exists'] as const).filter((k) => k in c && (c as Record<string, unknown>)[k] !== undefined);
  if (given.length !== 1) throw KvndbError.badRequest(`txn if[${i}] compares one of version, value or exists, got ${given.length === 0 ? 'none' : given.join(' and ')}`);
  if ('version' in c && c.version !== undefined) {
    if (!Number.isSafeInteger(c.version) || c.version < 0) throw KvndbError.badRequest(`txn if[${i}].version must be an integer >= 0, got ${describe(c.version)}`);
    size.add(c.key);
    return ['v', c.key, c.version];
  }
  if ('value' in c && c.value !== undefined) {
    const bytes = valueBytes(c.value, limits);
    size.add(c.key, bytes);
    return ['=', c.key, bytes];
  }
  const exists = (c as { exists: unknown }).exists;
  if (typeof exists !== 'boolean') throw KvndbError.badRequest(`txn if[${i}].exists must be a boolean, got ${describe(exists)}`);
  size.add(c.key);
  return ['e', c.key, exists];
}

/** A TxnStep as its wire op (and what the key/value checks need). */
function stepOf(s: TxnStep, where: string, limits: Limits, size: SizeCount): TxnOp {
  if (s === null || typeof s !== 'object') throw KvndbError.badRequest(`txn ${where} must be an object, got ${describe(s)}`);
  checkKey(s.key, limits);
  const key = s.key;
  switch (s.op) {
    case 'set': {
      const { op: _op, key: _key, value, get, ...options } = s;
      const bytes = valueBytes(value, limits);
      const flags = setFlags(options as SetOptions, limits, get === true);
      size.add(key, bytes);
      if (flags?.eq) size.add(key, flags.eq);
      return flags ? ['s', key, bytes, flags] : ['s', key, bytes];
    }
    case 'del':
      size.add(key);
      return ['d', key];
    case 'incr':
      size.add(key);
      return ['i', key, deltaArg(s.by ?? 1), true];
    case 'incrFloat':
      size.add(key);
      return ['f', key, floatArg(s.by)];
    case 'append': {
      const bytes = valueBytes(s.value, limits);
      size.add(key, bytes);
      return ['a', key, bytes];
    }
    case 'expire': {
      const px = positiveOrNull('ttlMs', s.ttlMs);
      const at = positiveOrNull('expireAt', s.expireAt);
      if ((px === null) === (at === null)) throw KvndbError.badRequest(`txn ${where}: expire takes one of ttlMs or expireAt (use op 'persist' to remove an expiry)`);
      size.add(key);
      return ['e', key, px, at, ExpireCond.NONE];
    }
    case 'persist':
      size.add(key);
      return ['e', key, null, null, ExpireCond.NONE];
    case 'getDel':
      size.add(key);
      return ['gd', key];
    case 'get':
    case 'getBuffer':
      size.add(key);
      return ['G', key];
    case 'getEntry':
      size.add(key);
      return ['V', key];
    default:
      throw KvndbError.badRequest(
        `txn ${where}: unknown op ${JSON.stringify(String((s as { op: unknown }).op))} (set, del, incr, incrFloat, append, expire, persist, getDel, get, getBuffer, getEntry)`,
      );
  }
}

function stepsOf(steps: TxnStep[] | undefined, branch: string, limits: Limits, size: SizeCount): TxnOp[] {
  if (steps === undefined || steps === null) return [];
  if (!Array.isArray(steps)) throw KvndbError.badRequest(`txn ${branch} must be an array, got ${describe(steps)}`);
  return steps.map((s, i) => stepOf(s, `${branch}[${i}]`, limits, size));
}

function request(limits: Limits, [txn]: [txn: Txn]): unknown[] {
  if (txn === null || typeof txn !== 'object' || Array.isArray(txn)) throw KvndbError.badRequest(`txn() takes { if, then, else }, got ${describe(txn)}`);
  const size = new SizeCount(limits);
  const conds = txn.if ?? [];
  if (!Array.isArray(conds)) throw KvndbError.badRequest(`txn if must be an array, got ${describe(conds)}`);
  const ifs = conds.map((c, i) => conditionOf(c, i, limits, size));
  const then = stepsOf(txn.then, 'then', limits, size);
  const otherwise = stepsOf(txn.else, 'else', limits, size);
  size.check();
  return [Op.TXN, 0, ifs, then, otherwise];
}

/** One op's wire result as its step promises it. */
function decodeStep(step: TxnStep, r: unknown): TxnOpResult {
  if (isOpError(r)) return new KvndbError(r.error, r.message);
  switch (step.op) {
    case 'set':
      if (step.get) {
        if (!Array.isArray(r) || typeof r[0] !== 'boolean') throw badAnswer('a transaction set with get', r);
        return bufferOrNull(r[1]);
      }
      if (typeof r !== 'boolean') throw badAnswer('a transaction set', r);
      return r;
    case 'del':
    case 'expire':
    case 'persist':
      if (typeof r !== 'boolean') throw badAnswer(`a transaction ${step.op}`, r);
      return r;
    case 'incr':
    case 'append':
      if (typeof r !== 'number') throw badAnswer(`a transaction ${step.op}`, r);
      return r;
    case 'incrFloat':
      if (typeof r !== 'string') throw badAnswer('a transaction incrFloat', r);
      return Number(r);
    case 'get':
      return stringOrNull(r);
    case 'getBuffer':
    case 'getDel':
      return bufferOrNull(r);
    case 'getEntry':
      return entryOrNull(r);
  }
}

/**
 * TXN: `{ if, then, else }` as one write (docs/DESIGN.md "Conditional writes, transactions,
 * counters"): every replica checks the comparisons and runs one branch at the write's
 * position, so all agree on which ran. The answer is the 't' op's result, [passed, results].
 */
export const txn = {
  name: 'txn',
  op: Op.TXN,
  arity: [5, 5],
  route: 'write',
  summary: 'if every comparison holds run THEN, else ELSE: one atomic write',
  toWrite: txnWrite,
  answer: Answer.First,
  methods: {
    /**
     * Run `then` when every comparison of `if` holds, else `else`, atomically. Resolves with
     * whether it held and one result per op of the branch that ran (failed ops as KvndbError).
     */
    txn: {
      request,
      decode(v: unknown, args: unknown[]): TxnResult {
        if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'boolean' || !Array.isArray(v[1])) throw badAnswer('TXN', v);
        const succeeded = v[0];
        const asked = args[0] as Txn;
        const steps = (succeeded ? asked.then : asked.else) ?? [];
        const raw = v[1] as unknown[];
        if (raw.length !== steps.length) throw badAnswer(`TXN of ${steps.length} ops`, v);
        return { succeeded, results: raw.map((r, i) => decodeStep(steps[i], r)) };
      },
      retryable: false,
    },
  },
} as const satisfies Command;
