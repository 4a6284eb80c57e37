import { KvndbError } from '@kvndb/shared';
import { decodeUtf8 } from '../format';

/** Keys are UTF-8 strings by the data model; a `\xff` in a key is refused, not mangled. */
export function keyArg(arg: Buffer): string {
  const text = decodeUtf8(arg);
  if (text === null) throw KvndbError.badRequest('keys must be valid UTF-8 (\\x escapes are for values)');
  return text;
}

export function keyArgs(args: Buffer[]): string[] {
  return args.map(keyArg);
}
