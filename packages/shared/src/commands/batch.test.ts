import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { batch } from './batch';
import { Answer, Immediate } from './command';
import { LIMITS, thrown, wire } from '../testing/command-spec';

const bytes = (s: string) => Buffer.from(s, 'utf8');
const { request, decode } = batch.methods.batch;

describe('BATCH', () => {
  test('sets and deletes pass the router as ops in order; not retried; one result per op', () => {
    const msg = request(LIMITS, [[{ op: 'set', key: 'a', value: 'één' }, { op: 'del', key: 'b' }, { op: 'set', key: 'c', value: bytes('3') }]]) as unknown[];
    expect(msg[0]).toBe(Op.BATCH);
    const ops = batch.toWrite(wire(msg), LIMITS).map((o) => (o[0] === 's' ? ['s', o[1], Buffer.from(o[2])] : o));
    expect(ops).toEqual([['s', 'a', bytes('één')], ['d', 'b'], ['s', 'c', bytes('3')]]);
    expect(batch.methods.batch.retryable).toBe(false);
    expect(batch.answer).toBe(Answer.All);
  });

  test('no ops: the client resolves with [] itself; the router refuses an empty BATCH', () => {
    const r = request(LIMITS, [[]]);
    expect(r).toBeInstanceOf(Immediate);
    expect((r as Immediate<unknown>).value).toEqual([]);
    expect(thrown(() => batch.toWrite([Op.BATCH, 1, []], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
  });

  test('the client refuses malformed ops, naming the op', () => {
    expect(thrown(() => request(LIMITS, [{} as never])).code).toBe(ErrorCode.BAD_REQUEST);
    for (const op of [null, { op: 'get', key: 'a' }, { key: 'a' }]) {
      const err = thrown(() => request(LIMITS, [[{ op: 'del', key: 'x' }, op as never]]));
      expect([err.code, err.message]).toEqual([ErrorCode.BAD_REQUEST, expect.stringContaining('op 1')]);
    }
    expect(thrown(() => request(LIMITS, [[{ op: 'del', key: '' }]])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => request(LIMITS, [[{ op: 'set', key: 'k'.repeat(17), value: 'v' }]])).details).toEqual({ size: 17, limit: 16 });
    expect(thrown(() => request(LIMITS, [[{ op: 'set', key: 'k', value: 'v'.repeat(33) }]])).details).toEqual({ size: 33, limit: 32 });
  });

  test('the router refuses a non-array and malformed ops, naming the op; set flags are checked', () => {
    const w = (...ops: unknown[]) => () => batch.toWrite([Op.BATCH, 1, ops], LIMITS);
    expect(thrown(() => batch.toWrite([Op.BATCH, 1, 'ops'], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    for (const bad of ['s', ['x', 'a'], ['s', 'a'], ['s', 'a', bytes('1'), null, 1], ['d'], ['d', 'a', 'b']]) {
      const err = thrown(w(['d', 'ok'], bad));
      expect([err.code, err.message]).toEqual([ErrorCode.BAD_REQUEST, expect.stringContaining('op 1')]);
    }
    expect(thrown(w(['d', ''])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(w(['s', 'a', 'text'])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(w(['s', 'a', Buffer.alloc(33)])).code).toBe(ErrorCode.TOO_LARGE);
    expect(thrown(w(['s', 'a', bytes('1'), { nx: true, xx: true }])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(w(['s', 'a', bytes('1'), { ttl: true }])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(batch.toWrite([Op.BATCH, 1, [['s', 'a', bytes('1'), { nx: true }]]], LIMITS)).toEqual([['s', 'a', bytes('1'), { nx: true }]]);
  });

  test('decode: one result per op, booleans or [applied, previous]', () => {
    const [a, b, c] = decode([true, false, [true, new Uint8Array(bytes('old'))]]);
    expect([a, b]).toEqual([true, false]);
    expect(Array.isArray(c) && [c[0], c[1]?.toString()]).toEqual([true, 'old']);
    expect(decode([])).toEqual([]);
    for (const bad of [null, true, [1], ['x'], [[1, null]]]) expect(thrown(() => decode(bad)).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});
