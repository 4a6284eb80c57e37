import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { lindex } from './lindex';
import { LIMITS, listStoreOf, thrown, wire } from '../testing/command-spec';

describe('LINDEX and peek', () => {
  test('peek() is LINDEX 0; the replica answers the value at an index (negative from the end) or nil', () => {
    expect(lindex.methods.peek.request(LIMITS, ['q'])).toEqual([Op.LINDEX, 0, 'q', 0]);
    const msg = lindex.methods.lindex.request(LIMITS, ['q', -1]);
    expect(lindex.toRead(wire(msg), LIMITS)).toEqual([Op.LINDEX, 7, 'q', -1]);
    const store = listStoreOf(['a', 'b', 'c']);
    const at = (i: number, k = 'q') => lindex.serve(store, [Op.LINDEX, 1, k, i], 1);
    expect([at(0), at(-1), at(1), at(3), at(-4), at(0, 'none')]).toEqual([Buffer.from('a'), Buffer.from('c'), Buffer.from('b'), null, null, null]);
    expect(thrown(() => at(0, 's')).code).toBe(ErrorCode.WRONG_TYPE);
  });

  test('a bad index is refused; decode gives a string, bytes or null', () => {
    expect(thrown(() => lindex.methods.lindex.request(LIMITS, ['q', NaN])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(lindex.methods.peek.decode(Buffer.from('v'))).toBe('v');
    expect(lindex.methods.peekBuffer.decode(null)).toBeNull();
  });
});
