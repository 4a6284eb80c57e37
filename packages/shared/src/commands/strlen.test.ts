import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import type { Latin1Bytes } from '../codec/latin1-bytes';
import type { ReadStore } from './command';
import { strlen } from './strlen';
import { LIMITS, thrown, wire } from '../testing/command-spec';

// One value held as a Buffer, one as Latin-1 bytes (as the memory store keeps small values).
const data = new Map<string, Buffer | Latin1Bytes>([['buf', Buffer.from('héllo')], ['latin', '\u00ff\u0000ab' as Latin1Bytes]]);
const store = { getStored: (k: string) => data.get(k) } as unknown as ReadStore;

describe('STRLEN', () => {
  test('strlen() passes the router as is; a retryable read', () => {
    const msg = strlen.methods.strlen.request(LIMITS, ['k']);
    expect(msg).toEqual([Op.STRLEN, 0, 'k']);
    expect(strlen.toRead(wire(msg), LIMITS)).toEqual([Op.STRLEN, 7, 'k']);
    expect(strlen.methods.strlen.retryable).toBe(true);
    expect(thrown(() => strlen.toRead([Op.STRLEN, 1, ''], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => strlen.methods.strlen.request(LIMITS, ['k'.repeat(17)])).code).toBe(ErrorCode.TOO_LARGE);
  });

  test('serve: the length in bytes, whichever form the store holds; 0 for a missing key', () => {
    expect(strlen.serve(store, [Op.STRLEN, 1, 'buf'], 1)).toBe(6);
    expect(strlen.serve(store, [Op.STRLEN, 1, 'latin'], 1)).toBe(4);
    expect(strlen.serve(store, [Op.STRLEN, 1, 'none'], 1)).toBe(0);
    expect(thrown(() => strlen.serve(store, [Op.STRLEN, 1, 5], 1)).code).toBe(ErrorCode.BAD_REQUEST);
  });

  test('decode: a length', () => {
    expect(strlen.methods.strlen.decode(0)).toBe(0);
    expect(thrown(() => strlen.methods.strlen.decode(null)).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});
