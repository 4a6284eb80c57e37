import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { Answer } from './command';
import { floatArg, incrfloat } from './incrfloat';
import { LIMITS, thrown, wire } from '../testing/command-spec';

describe('INCRFLOAT', () => {
  test('incrByFloat() sends the increment as decimal text; the router makes one f op of it', () => {
    for (const [by, text] of [[0.1, '0.1'], [-5, '-5'], ['1.5e3', '1.5e3'], [1e-7, '1e-7'], ['.5', '.5'], ['+2', '+2']] as const) {
      const msg = incrfloat.methods.incrByFloat.request(LIMITS, ['k', by]);
      expect(msg).toEqual([Op.INCRFLOAT, 0, 'k', text]);
      expect(incrfloat.toWrite(wire(msg), LIMITS)).toEqual([['f', 'k', text]]);
    }
    expect(incrfloat.answer).toBe(Answer.First);
    expect(incrfloat.methods.incrByFloat.retryable).toBe(false);
  });

  test('non-numbers, infinities, NaN and bad keys are refused by the client and the router', () => {
    for (const by of ['abc', '', ' 1', '1 ', 'inf', 'nan', '0x10', '1e400', Infinity, NaN, null, [1]] as unknown[]) {
      expect(thrown(() => floatArg(by)).code).toBe(ErrorCode.BAD_REQUEST);
      expect(thrown(() => incrfloat.methods.incrByFloat.request(LIMITS, ['k', by as number])).code).toBe(ErrorCode.BAD_REQUEST);
      expect(thrown(() => incrfloat.toWrite([Op.INCRFLOAT, 1, 'k', by], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    }
    expect(thrown(() => incrfloat.toWrite([Op.INCRFLOAT, 1, '', '1'], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => incrfloat.toWrite([Op.INCRFLOAT, 1, 'k'.repeat(17), '1'], LIMITS)).code).toBe(ErrorCode.TOO_LARGE);
  });

  test('decode: the new value as the replicas wrote it; PROTOCOL_ERROR otherwise', () => {
    expect(incrfloat.methods.incrByFloat.decode('10.6')).toBe('10.6');
    for (const bad of [10.6, null, Buffer.from('1')]) expect(thrown(() => incrfloat.methods.incrByFloat.decode(bad)).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});
