import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { Answer, Immediate } from './command';
import { mset } from './mset';
import { LIMITS, thrown, wire } from '../testing/command-spec';

const bytes = (s: string) => Buffer.from(s, 'utf8');
const { request } = mset.methods.mset;

describe('MSET', () => {
  test('entries as an object or pairs pass the router as one set op each, in order', () => {
    const expected = [['s', 'a', bytes('1')], ['s', 'b', bytes('twö')]];
    for (const entries of [{ a: '1', b: 'twö' }, [['a', bytes('1')], ['b', 'twö']]] as const) {
      const msg = request(LIMITS, [entries as never]) as unknown[];
      expect(msg[0]).toBe(Op.MSET);
      const ops = mset.toWrite(wire(msg), LIMITS).map(([k, key, v]) => [k, key, Buffer.from(v as Uint8Array)]);
      expect(ops).toEqual(expected);
    }
    expect(mset.methods.mset.retryable).toBe(false);
    expect(mset.answer).toBe(Answer.Nil);
    expect(mset.methods.mset.decode(null)).toBeUndefined();
  });

  test('no entries: the client resolves with undefined itself; the router refuses an empty MSET', () => {
    for (const empty of [{}, []]) {
      const r = request(LIMITS, [empty]);
      expect(r).toBeInstanceOf(Immediate);
      expect((r as Immediate<unknown>).value).toBeUndefined();
    }
    expect(thrown(() => mset.toWrite([Op.MSET, 1, []], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
  });

  test('the client refuses malformed entries, naming the entry', () => {
    expect(thrown(() => request(LIMITS, [null as never])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => request(LIMITS, ['a=1' as never])).code).toBe(ErrorCode.BAD_REQUEST);
    const bad = thrown(() => request(LIMITS, [[['a', '1'], ['b']] as never]));
    expect([bad.code, bad.message]).toEqual([ErrorCode.BAD_REQUEST, expect.stringContaining('entry 1')]);
    expect(thrown(() => request(LIMITS, [{ '': 'v' }])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => request(LIMITS, [[[5, 'v']] as never])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => request(LIMITS, [{ k: 5 } as never])).code).toBe(ErrorCode.BAD_REQUEST);
    const big = thrown(() => request(LIMITS, [{ a: '1', b: 'x'.repeat(33) }]));
    expect([big.code, big.details]).toEqual([ErrorCode.TOO_LARGE, { size: 33, limit: 32 }]);
  });

  test('the router refuses a non-array, malformed pairs (naming the pair), bad keys and values', () => {
    const w = (pairs: unknown) => () => mset.toWrite([Op.MSET, 1, pairs], LIMITS);
    expect(thrown(w({ a: bytes('1') })).code).toBe(ErrorCode.BAD_REQUEST);
    for (const pair of ['a', ['a'], ['a', bytes('1'), null]]) {
      const err = thrown(w([['ok', bytes('1')], ['ok2', bytes('2')], pair]));
      expect([err.code, err.message]).toEqual([ErrorCode.BAD_REQUEST, expect.stringContaining('pair 2')]);
    }
    expect(thrown(w([['', bytes('1')]])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(w([['a', '1']])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(w([['k'.repeat(17), bytes('1')]])).details).toEqual({ size: 17, limit: 16 });
    expect(thrown(w([['a', Buffer.alloc(33)]])).code).toBe(ErrorCode.TOO_LARGE);
  });
});
