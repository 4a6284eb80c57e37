import { KvndbError } from '../protocol/errors';
import { checkKey, describe, type Limits } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import type { MoveFlags, WriteOp } from '../protocol/types';
import { bool } from './answers';
import { Answer, type Command } from './command';

/** Options of copy(). */
export interface CopyOptions {
  /** Overwrite the target when it exists (Redis COPY ... REPLACE); otherwise copy only to a missing key. */
  replace?: boolean;
}

/** The flags a MOVE message may carry, normalised: unset and false flags are left out. */
function flagsArg(raw: unknown): MoveFlags {
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw) || raw instanceof Uint8Array) throw KvndbError.badRequest(`MOVE flags must be a map, got ${describe(raw)}`);
  const flags: MoveFlags = {};
  for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
    if (name !== 'nx' && name !== 'copy') throw KvndbError.badRequest(`unknown MOVE flag ${JSON.stringify(name)} (expected nx, copy)`);
    if (v === null || v === undefined || v === false) continue;
    if (v !== true) throw KvndbError.badRequest(`MOVE flag ${name} must be a boolean, got ${describe(v)}`);
    flags[name] = true;
  }
  return flags;
}

function message(limits: Limits, from: string, to: string, flags: MoveFlags): unknown[] {
  checkKey(from, limits);
  checkKey(to, limits);
  // Redis refuses COPY onto itself before looking at the key.
  if (flags.copy && from === to) throw KvndbError.badRequest('source and destination objects are the same');
  return [Op.MOVE, 0, from, to, flags];
}

/**
 * MOVE: RENAME, RENAMENX and COPY in one message [MOVE, id, from, to, {nx, copy}], applied by
 * every replica at the write's position (so a rename is atomic: no reader sees both keys or
 * neither). The value moves with its expiry, as in Redis; the target gets a new version.
 * Renaming a missing key fails with NO_SUCH_KEY; with nx the target must not exist; a copy of
 * a missing key is false. Renaming a key onto itself changes nothing (true; false with nx).
 */
export const move = {
  name: 'move',
  op: Op.MOVE,
  arity: [5, 5],
  route: 'write',
  summary: 'rename or copy key FROM to TO',
  toWrite(msg: unknown[], limits: Limits): WriteOp[] {
    const flags = flagsArg(msg[4]);
    message(limits, msg[2] as string, msg[3] as string, flags);
    return [['m', msg[2] as string, msg[3] as string, flags]];
  },
  answer: Answer.First,
  methods: {
    /** Rename `key` to `to`, replacing `to`; resolves true, or fails with NO_SUCH_KEY when `key` does not exist. */
    rename: {
      request: (limits: Limits, [key, to]: [key: string, to: string]) => message(limits, key, to, {}),
      decode: bool,
      retryable: false,
    },
    /** Rename `key` to `to` only when `to` does not exist; whether it did (NO_SUCH_KEY when `key` does not exist). */
    renameNx: {
      request: (limits: Limits, [key, to]: [key: string, to: string]) => message(limits, key, to, { nx: true }),
      decode: bool,
      retryable: false,
    },
    /** Copy `from` to `to` (only to a missing key unless `replace`); whether it did. */
    copy: {
      request: (limits: Limits, [from, to, options]: [from: string, to: string, options?: CopyOptions]) =>
        message(limits, from, to, options?.replace ? { copy: true } : { copy: true, nx: true }),
      decode: bool,
      retryable: false,
    },
  },
} as const satisfies Command;
