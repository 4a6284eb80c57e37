import { Op } from '../protocol/opcodes';
import { Answer } from './command';
import { flush } from './flush';
import { wire } from '../testing/command-spec';

describe('FLUSH', () => {
  test('flush() is one F op in the write stream, answered with nothing, not retried', () => {
    const msg = flush.methods.flush.request();
    expect(msg).toEqual([Op.FLUSH, 0]);
    expect(flush.toWrite()).toEqual([['F']]);
    expect(wire(msg)).toEqual([Op.FLUSH, 7]);
    expect(flush.answer).toBe(Answer.Nil);
    expect(flush.methods.flush.retryable).toBe(false);
    expect(flush.methods.flush.decode(null)).toBeUndefined();
  });
});
