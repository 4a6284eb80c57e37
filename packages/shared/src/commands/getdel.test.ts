import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { Answer } from './command';
import { getdel } from './getdel';
import { LIMITS, thrown, wire } from '../testing/command-spec';

describe('GETDEL', () => {
  test('getDel() and getDelBuffer() pass the router and become one gd op; writes, not retried', () => {
    for (const name of ['getDel', 'getDelBuffer'] as const) {
      const msg = getdel.methods[name].request(LIMITS, ['k']);
      expect(msg).toEqual([Op.GETDEL, 0, 'k']);
      expect(getdel.toWrite(wire(msg), LIMITS)).toEqual([['gd', 'k']]);
      expect(getdel.methods[name].retryable).toBe(false);
    }
    expect(getdel.answer).toBe(Answer.First);
    expect(thrown(() => getdel.toWrite([Op.GETDEL, 1, ''], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => getdel.methods.getDel.request(LIMITS, ['k'.repeat(17)])).code).toBe(ErrorCode.TOO_LARGE);
  });

  test('decode: the value it held, or null', () => {
    expect(getdel.methods.getDel.decode(Buffer.from('v'))).toBe('v');
    expect(getdel.methods.getDel.decode(null)).toBeNull();
    expect(getdel.methods.getDelBuffer.decode(new Uint8Array([0, 255]))).toEqual(Buffer.from([0, 255]));
    expect(thrown(() => getdel.methods.getDel.decode(true)).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});
