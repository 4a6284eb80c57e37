import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { lrange } from './lrange';
import { LIMITS, listStoreOf, thrown, wire } from '../testing/command-spec';

describe('LRANGE', () => {
  test('lrange() defaults to the whole list; the replica answers Redis indexes', () => {
    expect(lrange.methods.lrange.request(LIMITS, ['q'])).toEqual([Op.LRANGE, 0, 'q', 0, -1]);
    const msg = lrange.methods.lrange.request(LIMITS, ['q', 1, -2]);
    expect(lrange.toRead(wire(msg), LIMITS)).toEqual([Op.LRANGE, 7, 'q', 1, -2]);
    const store = listStoreOf(['a', 'b', 'c', 'd']);
    expect(lrange.serve(store, [Op.LRANGE, 1, 'q', 1, -2], 1)).toEqual([Buffer.from('b'), Buffer.from('c')]);
    expect(lrange.serve(store, [Op.LRANGE, 1, 'none', 0, -1], 1)).toEqual([]);
    expect(thrown(() => lrange.serve(store, [Op.LRANGE, 1, 's', 0, -1], 1)).code).toBe(ErrorCode.WRONG_TYPE);
  });

  test('indexes must be integers; decode wants byte strings', () => {
    expect(thrown(() => lrange.methods.lrange.request(LIMITS, ['q', 1.5, 2])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => lrange.toRead([Op.LRANGE, 1, 'q', '0', 1], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(lrange.methods.lrange.decode([Buffer.from('é')])).toEqual(['é']);
    expect(lrange.methods.lrangeBuffers.decode([Buffer.from('x')])).toEqual([Buffer.from('x')]);
    expect(thrown(() => lrange.methods.lrange.decode([null])).code).toBe(ErrorCode.PROTOCOL_ERROR);
    expect(thrown(() => lrange.methods.lrange.decode('x')).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});
