import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { type } from './type';
import { LIMITS, listStoreOf, thrown, wire } from '../testing/command-spec';

describe('TYPE', () => {
  test("the replica answers 'string', 'list' or nil", () => {
    const msg = type.methods.type.request(LIMITS, ['q']);
    expect(type.toRead(wire(msg), LIMITS)).toEqual([Op.TYPE, 7, 'q']);
    const store = listStoreOf([]);
    expect(['q', 's', 'none'].map((k) => type.serve(store, [Op.TYPE, 1, k], 1))).toEqual(['list', 'string', null]);
  });

  test('decode', () => {
    expect(type.methods.type.decode('list')).toBe('list');
    expect(type.methods.type.decode(null)).toBeNull();
    expect(thrown(() => type.methods.type.decode('hash')).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});
