import fs from 'node:fs/promises';
import { DEFAULT_MAX_VALUE_BYTES, KvndbError } from '@kvndb/shared';
import { expandHome } from '../history';
import { formatText } from '../format';

const AT = 0x40;

/**
 * A value argument: `@FILE` is the contents of FILE (`~/` works), `@@...` is a literal
 * value starting with one `@`, anything else is the value itself. This is how a binary or
 * multi-line value gets in without escapes.
 */
export async function valueArg(arg: Buffer): Promise<Buffer> {
  if (arg.length === 0 || arg[0] !== AT) return arg;
  if (arg.length > 1 && arg[1] === AT) return arg.subarray(1);
  const file = fileArg(arg.subarray(1), 'set KEY @FILE');
  let size: number;
  try {
    size = (await fs.stat(file)).size;
  } catch (err) {
    throw fileError('read', file, err);
  }
  // Refuse before reading, so `set k @/dev/big-disk-image` does not fill memory first.
  if (size > DEFAULT_MAX_VALUE_BYTES) {
    throw KvndbError.tooLarge(`${formatText(file)} is ${size} bytes, the value limit is ${DEFAULT_MAX_VALUE_BYTES}`, {
      size,
      limit: DEFAULT_MAX_VALUE_BYTES,
    });
  }
  try {
    return await fs.readFile(file);
  } catch (err) {
    throw fileError('read', file, err);
  }
}

/** Writes a value's raw bytes to a file (`get KEY > FILE`), replacing what was there. */
export async function writeValueFile(file: string, value: Uint8Array): Promise<void> {
  try {
    await fs.writeFile(file, value);
  } catch (err) {
    throw fileError('write', file, err);
  }
}

/** A file name argument as a path (UTF-8, `~/` expanded). */
export function fileArg(arg: Buffer, usage: string): string {
  const name = arg.toString('utf8');
  if (name === '') throw KvndbError.badRequest(`a file name is missing; usage: ${usage}`);
  if (name.includes('\0')) throw KvndbError.badRequest('a file name cannot contain a NUL byte');
  return expandHome(name);
}

/** `cannot read notes.txt: no such file or directory`, from Node's `ENOENT: no such ..., open '...'`. */
function fileError(verb: 'read' | 'write', file: string, err: unknown): KvndbError {
  const error = err as NodeJS.ErrnoException;
  const reason = (error.message ?? String(err)).replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/s, '');
  return new KvndbError('BAD_REQUEST', `cannot ${verb} ${formatText(file)}: ${reason}`, { cause: err });
}
