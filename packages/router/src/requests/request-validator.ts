import {
  DEFAULT_KEYS_LIMIT,
  KvndbError,
  MAX_KEYS_LIMIT,
  Op,
  checkKey,
  checkValue,
  describe,
  type Limits,
  type SetFlags,
  type WriteOp,
} from '@kvndb/shared';

/**
 * Turns request arguments into what the router sends on: the replica-bound message for a
 * read, the op list for a write. Anything a well-formed message can still get wrong (empty
 * key, wrong type, too large) throws BAD_REQUEST or TOO_LARGE for that request alone.
 * Every request arrives as a whole message [op, id, ...args]: the arguments start at msg[2].
 */

/** Request shapes a native client may send: [min, max] message length including op and id. */
export const REQUEST_ARITY: Readonly<Record<number, readonly [number, number]>> = {
  [Op.PING]: [2, 2],
  [Op.GET]: [3, 3],
  [Op.HAS]: [3, 3],
  [Op.MGET]: [3, 3],
  [Op.KEYS]: [3, 5],
  [Op.SET]: [4, 5],
  [Op.DEL]: [3, 3],
  [Op.MSET]: [3, 3],
  [Op.BATCH]: [3, 3],
  [Op.STATUS]: [2, 2],
};

/** The replica-bound message [op, 0, ...args] for GET, HAS, MGET or KEYS (the link sets the id). */
export function readMessage(op: number, msg: readonly unknown[], limits: Limits): unknown[] {
  switch (op) {
    case Op.GET:
    case Op.HAS: {
      const key = msg[2];
      checkKey(key, limits);
      // A message that is exactly [op, id, key] (native GET, or the RESP front door's) is
      // reused as the replica-bound one: the caller keeps its id, the link writes its own.
      if (msg.length === 3) return msg as unknown[];
      return [op, 0, key];
    }
    case Op.MGET: {
      const keys = msg[2];
      if (!Array.isArray(keys)) throw KvndbError.badRequest(`MGET needs an array of keys, got ${describe(keys)}`);
      for (let i = 0; i < keys.length; i++) checkKey(keys[i], limits);
      return [op, 0, keys];
    }
    case Op.KEYS: {
      const prefix = msg[2] ?? '';
      if (typeof prefix !== 'string') throw KvndbError.badRequest(`KEYS prefix must be a string, got ${describe(prefix)}`);
      checkLength('prefix', prefix, limits);
      const rawLimit = msg[3];
      let limit = DEFAULT_KEYS_LIMIT;
      if (rawLimit !== null && rawLimit !== undefined) {
        if (typeof rawLimit !== 'number' || !Number.isInteger(rawLimit)) {
          throw KvndbError.badRequest(`KEYS limit must be an integer, got ${describe(rawLimit)}`);
        }
        limit = Math.min(MAX_KEYS_LIMIT, Math.max(1, rawLimit));
      }
      const cursor = msg[4] ?? null;
      if (cursor !== null) {
        if (typeof cursor !== 'string') throw KvndbError.badRequest(`KEYS cursor must be a string or nil, got ${describe(cursor)}`);
        checkLength('cursor', cursor, limits);
      }
      return [op, 0, prefix, limit, cursor];
    }
    default:
      throw KvndbError.badRequest(`opcode ${op} is not a read`);
  }
}

/** The WRITE op list for SET, DEL, MSET or BATCH. */
export function writeOps(op: number, msg: readonly unknown[], limits: Limits): WriteOp[] {
  switch (op) {
    case Op.SET:
      return [setOp(msg[2], msg[3], msg[4], limits)];
    case Op.DEL: {
      const key = msg[2];
      checkKey(key, limits);
      return [['d', key]];
    }
    case Op.MSET: {
      const pairs = msg[2];
      if (!Array.isArray(pairs)) throw KvndbError.badRequest(`MSET needs an array of [key, value] pairs, got ${describe(pairs)}`);
      if (pairs.length === 0) throw KvndbError.badRequest('MSET needs at least one [key, value] pair');
      const ops: WriteOp[] = new Array(pairs.length);
      for (let i = 0; i < pairs.length; i++) {
        const pair = pairs[i];
        if (!Array.isArray(pair) || pair.length !== 2) throw KvndbError.badRequest(`MSET pair ${i} must be [key, value]`);
        ops[i] = setOp(pair[0], pair[1], undefined, limits);
      }
      return ops;
    }
    case Op.BATCH: {
      const list = msg[2];
      if (!Array.isArray(list)) throw KvndbError.badRequest(`BATCH needs an array of ops, got ${describe(list)}`);
      if (list.length === 0) throw KvndbError.badRequest('BATCH needs at least one op');
      const ops: WriteOp[] = new Array(list.length);
      for (let i = 0; i < list.length; i++) ops[i] = batchOp(list[i], i, limits);
      return ops;
    }
    default:
      throw KvndbError.badRequest(`opcode ${op} is not a write`);
  }
}

function batchOp(raw: unknown, index: number, limits: Limits): WriteOp {
  if (!Array.isArray(raw)) throw KvndbError.badRequest(`BATCH op ${index} must be an array, got ${describe(raw)}`);
  if (raw[0] === 's') {
    if (raw.length < 3 || raw.length > 4) throw KvndbError.badRequest(`BATCH op ${index}: a set is ["s", key, value, flags?]`);
    return setOp(raw[1], raw[2], raw[3], limits);
  }
  if (raw[0] === 'd') {
    if (raw.length !== 2) throw KvndbError.badRequest(`BATCH op ${index}: a delete is ["d", key]`);
    checkKey(raw[1], limits);
    return ['d', raw[1]];
  }
  throw KvndbError.badRequest(`BATCH op ${index} must start with "s" or "d", got ${JSON.stringify(String(raw[0]))}`);
}

function setOp(key: unknown, value: unknown, rawFlags: unknown, limits: Limits): WriteOp {
  checkKey(key, limits);
  checkValue(value, limits);
  const flags = parseFlags(rawFlags);
  return flags ? ['s', key, value, flags] : ['s', key, value];
}

const FLAG_NAMES = new Set(['nx', 'xx', 'get']);

/** Normalised SET flags, or undefined when none is set. */
export function parseFlags(raw: unknown): SetFlags | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw) || raw instanceof Uint8Array) {
    throw KvndbError.badRequest(`SET flags must be a map or nil, got ${describe(raw)}`);
  }
  let flags: SetFlags | undefined;
  for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!FLAG_NAMES.has(name)) throw KvndbError.badRequest(`unknown SET flag ${JSON.stringify(name)} (expected nx, xx, get)`);
    if (v === null || v === undefined || v === false) continue;
    if (v !== true) throw KvndbError.badRequest(`SET flag ${name} must be a boolean, got ${describe(v)}`);
    (flags ??= {})[name as keyof SetFlags] = true;
  }
  if (flags?.nx && flags.xx) throw KvndbError.badRequest('SET flags nx and xx cannot be combined');
  return flags;
}

function checkLength(what: string, s: string, limits: Limits): void {
  if (s.length * 3 <= limits.maxKeyBytes) return;
  const bytes = Buffer.byteLength(s, 'utf8');
  if (bytes > limits.maxKeyBytes) {
    throw KvndbError.tooLarge(`KEYS ${what} is ${bytes} bytes, the key limit is ${limits.maxKeyBytes}`, {
      size: bytes,
      limit: limits.maxKeyBytes,
    });
  }
}
