import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { llen } from './llen';
import { LIMITS, listStoreOf, thrown, wire } from '../testing/command-spec';

describe('LLEN', () => {
  test('the request passes the router as is; the replica answers the length, 0 for none, WRONG_TYPE for a string', () => {
    const msg = llen.methods.llen.request(LIMITS, ['q']);
    expect(msg).toEqual([Op.LLEN, 0, 'q']);
    expect(llen.toRead(wire(msg), LIMITS)).toEqual([Op.LLEN, 7, 'q']);
    const store = listStoreOf(['a', 'b']);
    expect(llen.serve(store, [Op.LLEN, 1, 'q'], 1)).toBe(2);
    expect(llen.serve(store, [Op.LLEN, 1, 'none'], 1)).toBe(0);
    expect(thrown(() => llen.serve(store, [Op.LLEN, 1, 's'], 1)).code).toBe(ErrorCode.WRONG_TYPE);
    expect(llen.methods.llen.retryable).toBe(true);
  });

  test('bad keys are refused; decode wants a length', () => {
    expect(thrown(() => llen.methods.llen.request(LIMITS, [''])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => llen.toRead([Op.LLEN, 1, 'x'.repeat(17)], LIMITS)).code).toBe(ErrorCode.TOO_LARGE);
    expect(llen.methods.llen.decode(4)).toBe(4);
    expect(thrown(() => llen.methods.llen.decode('4')).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});
