import { Op } from '../protocol/opcodes';
import { KvndbError } from '../protocol/errors';
import { describe, type Limits } from '../protocol/limits';
import { badAnswer, bufferOrNull, list, stringOrNull } from './answers';
import { checkKeys, keyArg } from './checks';
import { Immediate, type Command, type ReadStore } from './command';

/** A key's value with what the store keeps about it (docs/DESIGN.md "Data model"). */
export interface Entry {
  value: Buffer;
  /** The seq of the write that last changed the key. */
  version: number;
  /** The router time of that write (ms since 1970). */
  updated: number;
  /** The router time the key expires at; 0: never. */
  expires: number;
  /** The content type stored with the value (set's contentType, the HTTP door's Content-Type); absent when it has none. */
  contentType?: string;
}

function request(limits: Limits, [keys]: [keys: string[]]): unknown[] | Immediate<never[]> {
  checkKeys(keys, 'mget', limits);
  if (keys.length === 0) return new Immediate([]);
  return [Op.MGET, 0, keys];
}

function entriesRequest(limits: Limits, [keys]: [keys: string[]]): unknown[] | Immediate<never[]> {
  checkKeys(keys, 'mgetEntries', limits);
  if (keys.length === 0) return new Immediate([]);
  return [Op.MGET, 0, keys, true];
}

/** An entry as the wire carries it: [value, version, updated, expires, contentType?] or nil. */
export function entryOrNull(v: unknown): Entry | null {
  if (v === null || v === undefined) return null;
  if (!Array.isArray(v) || !(v.length === 4 || (v.length === 5 && typeof v[4] === 'string')) || !(v[0] instanceof Uint8Array)) {
    throw badAnswer('an entry read', v);
  }
  const value = bufferOrNull(v[0]) as Buffer;
  const entry: Entry = { value, version: v[1] as number, updated: v[2] as number, expires: v[3] as number };
  if (v.length === 5) entry.contentType = v[4] as string;
  return entry;
}

/** A stored entry as an entry read answers it: the content type travels only when the key has one. */
export function entryAnswer(e: { value: Buffer; version: number; updated: number; expires: number; contentType?: string | null }): unknown[] {
  return e.contentType ? [e.value, e.version, e.updated, e.expires, e.contentType] : [e.value, e.version, e.updated, e.expires];
}

/** The value at a key, nil for none and for a list (Redis's MGET). */
function valueOrNil(store: ReadStore, key: string, now: number): Buffer | null {
  try {
    return store.get(key, now) ?? null;
  } catch (err) {
    if ((err as { code?: string }).code === 'WRONG_TYPE') return null;
    throw err;
  }
}

/** MGET: the values of several keys, nil where missing, in the order asked; with `meta`, each as [value, version, updated, expires, contentType?]. */
export const mget = {
  name: 'mget',
  op: Op.MGET,
  arity: [3, 4],
  route: 'read',
  summary: 'the values of several keys, nil where missing',
  toRead(msg: unknown[], limits: Limits): unknown[] {
    checkKeys(msg[2], 'MGET', limits);
    if (msg[3] !== undefined && msg[3] !== null && typeof msg[3] !== 'boolean') {
      throw KvndbError.badRequest(`MGET's meta flag must be a boolean, got ${describe(msg[3])}`);
    }
    return msg[3] ? [Op.MGET, 0, msg[2], true] : [Op.MGET, 0, msg[2]];
  },
  serve(store: ReadStore, msg: unknown[], now: number): unknown {
    const keys = msg[2];
    if (!Array.isArray(keys)) throw KvndbError.badRequest(`MGET needs an array of keys, got ${describe(keys)}`);
    const values = new Array<unknown>(keys.length);
    if (msg[3] === true) {
      for (let i = 0; i < keys.length; i++) {
        const e = store.entry(keyArg(keys[i]), now);
        // A list is not a value: nil, as Redis's MGET answers for a key of another type.
        values[i] = e === undefined || e.list ? null : entryAnswer(e);
      }
    } else {
      for (let i = 0; i < keys.length; i++) values[i] = valueOrNil(store, keyArg(keys[i]), now);
    }
    return values;
  },
  methods: {
    /** Values as UTF-8 strings. */
    mget: { request, decode: (v: unknown) => list('MGET', v, stringOrNull), retryable: true },
    /** Values as bytes. */
    mgetBuffer: { request, decode: (v: unknown) => list('MGET', v, bufferOrNull), retryable: true },
    /** Each key's value with its version, updated time, expiry and content type (when it has one), or null. */
    mgetEntries: { request: entriesRequest, decode: (v: unknown) => list('MGET', v, entryOrNull), retryable: true },
    /** One key's value with its version, updated time, expiry and content type (when it has one), or null. */
    getEntry: {
      request(limits: Limits, [key]: [key: string]): unknown[] {
        checkKeys([key], 'getEntry', limits);
        return [Op.MGET, 0, [key], true];
      },
      decode(v: unknown): Entry | null {
        const l = list('MGET', v, entryOrNull);
        if (l.length !== 1) throw badAnswer('MGET of one key', v);
        return l[0];
      },
      retryable: true,
    },
  },
} as const satisfies Command;
