import { ErrorCode, KvndbError } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { Answer } from './command';
import { txn, type Txn } from './txn';
import { LIMITS, thrown, wire } from '../testing/command-spec';

const bytes = (s: string) => Buffer.from(s, 'utf8');
const request = (t: Txn) => txn.methods.txn.request(LIMITS, [t]);
/** The client's message as the router turns it into the WRITE's ops. */
const toOps = (t: Txn) => txn.toWrite(wire(request(t)), LIMITS);
const decode = (t: Txn, v: unknown) => txn.methods.txn.decode(v, [t]);

describe('TXN', () => {
  test('if/then/else become one t op with the wire comparisons and ops', () => {
    const t: Txn = {
      if: [{ key: 'a', version: 3 }, { key: 'b', value: 'x' }, { key: 'c', exists: false }],
      then: [
        { op: 'set', key: 'a', value: 'v', ttlMs: 500 },
        { op: 'set', key: 'b', value: 'w', ifAbsent: true, get: true },
        { op: 'del', key: 'c' },
        { op: 'incr', key: 'n', by: -2 },
        { op: 'incrFloat', key: 'f', by: 1.5 },
        { op: 'append', key: 'a', value: 'z' },
        { op: 'expire', key: 'a', ttlMs: 100 },
        { op: 'persist', key: 'a' },
        { op: 'getDel', key: 'g' },
        { op: 'get', key: 'a' },
        { op: 'getBuffer', key: 'a' },
        { op: 'getEntry', key: 'a' },
      ],
      else: [{ op: 'getEntry', key: 'a' }],
    };
    const msg = request(t);
    expect(msg[0]).toBe(Op.TXN);
    expect(txn.answer).toBe(Answer.First);
    expect(txn.methods.txn.retryable).toBe(false);
    expect(toOps(t)).toEqual([
      [
        't',
        [['v', 'a', 3], ['=', 'b', bytes('x')], ['e', 'c', false]],
        [
          ['s', 'a', bytes('v'), { px: 500 }],
          ['s', 'b', bytes('w'), { nx: true, get: true }],
          ['d', 'c'],
          ['i', 'n', '-2', true],
          ['f', 'f', '1.5'],
          ['a', 'a', bytes('z')],
          ['e', 'a', 100, null, 0],
          ['e', 'a', null, null, 0],
          ['gd', 'g'],
          ['G', 'a'],
          ['G', 'a'],
          ['V', 'a'],
        ],
        [['V', 'a']],
      ],
    ]);
    // No if: always the then branch; no branches at all is a valid (empty) transaction.
    expect(toOps({ then: [{ op: 'get', key: 'k' }] })).toEqual([['t', [], [['G', 'k']], []]]);
    expect(toOps({})).toEqual([['t', [], [], []]]);
  });

  test('results decode per op of the branch that ran; failed ops are KvndbErrors, not throws', () => {
    const t: Txn = {
      if: [{ key: 'a', version: 0 }],
      then: [
        { op: 'get', key: 'a' },
        { op: 'getBuffer', key: 'a' },
        { op: 'getEntry', key: 'a' },
        { op: 'incr', key: 'n' },
        { op: 'incr', key: 's' },
        { op: 'set', key: 'a', value: 'v' },
        { op: 'set', key: 'a', value: 'v', get: true },
        { op: 'del', key: 'a' },
        { op: 'incrFloat', key: 'f', by: '0.5' },
        { op: 'getDel', key: 'a' },
      ],
      else: [{ op: 'get', key: 'a' }],
    };
    const v = bytes('héllo');
    const r = decode(t, [
      true,
      [v, v, [v, 7, 1000, 0], 5, { error: ErrorCode.NOT_A_NUMBER, message: 'value is not an integer or out of range' }, true, [true, null], false, '2.5', null],
    ]);
    expect(r.succeeded).toBe(true);
    expect(r.results.slice(0, 4)).toEqual(['héllo', v, { value: v, version: 7, updated: 1000, expires: 0 }, 5]);
    expect(Buffer.isBuffer(r.results[1])).toBe(true);
    const err = r.results[4] as KvndbError;
    expect(err).toBeInstanceOf(KvndbError);
    expect([err.code, err.message]).toEqual([ErrorCode.NOT_A_NUMBER, 'value is not an integer or out of range']);
    expect(r.results.slice(5)).toEqual([true, null, false, 2.5, null]);
    // The else branch's ops decode the else results.
    expect(decode(t, [false, [null]])).toEqual({ succeeded: false, results: [null] });
    // Wrong shapes are protocol errors.
    for (const bad of [null, [true], [1, []], [true, [v]], [false, []]]) {
      expect(thrown(() => decode(t, bad)).code).toBe(ErrorCode.PROTOCOL_ERROR);
    }
    expect(thrown(() => decode({ then: [{ op: 'incr', key: 'n' }] }, [true, ['5']])).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });

  test('the client refuses bad comparisons, ops, keys and values before sending', () => {
    const bad = (t: unknown) => thrown(() => request(t as Txn));
    expect(bad(null).code).toBe(ErrorCode.BAD_REQUEST);
    expect(bad({ if: [{ key: 'a' }] }).message).toMatch(/one of version, value or exists/);
    expect(bad({ if: [{ key: 'a', version: 1, exists: true }] }).message).toMatch(/version and exists/);
    expect(bad({ if: [{ key: 'a', version: -1 }] }).code).toBe(ErrorCode.BAD_REQUEST);
    expect(bad({ if: [{ key: 'a', exists: 'yes' }] }).code).toBe(ErrorCode.BAD_REQUEST);
    expect(bad({ then: [{ op: 'flush', key: 'a' }] }).message).toMatch(/unknown op "flush"/);
    expect(bad({ then: [{ op: 'set', key: '', value: 'v' }] }).code).toBe(ErrorCode.BAD_REQUEST);
    expect(bad({ then: [{ op: 'set', key: 'a', value: 'v', ifAbsent: true, ifExists: true }] }).message).toMatch(/one condition/);
    expect(bad({ then: [{ op: 'incr', key: 'a', by: 1.5 }] }).code).toBe(ErrorCode.BAD_REQUEST);
    expect(bad({ then: [{ op: 'incrFloat', key: 'a', by: 'x' }] }).code).toBe(ErrorCode.BAD_REQUEST);
    expect(bad({ then: [{ op: 'expire', key: 'a' }] }).message).toMatch(/ttlMs or expireAt/);
    expect(bad({ then: 'nope' }).code).toBe(ErrorCode.BAD_REQUEST);
    const key = bad({ if: [{ key: 'é'.repeat(9), exists: true }] });
    expect([key.code, key.details]).toEqual([ErrorCode.TOO_LARGE, { size: 18, limit: 16 }]);
    const value = bad({ then: [{ op: 'set', key: 'a', value: 'x'.repeat(33) }] });
    expect([value.code, value.details]).toEqual([ErrorCode.TOO_LARGE, { size: 33, limit: 32 }]);
  });

  test('the whole transaction must fit a frame: TOO_LARGE otherwise, at the client and the router', () => {
    // Each op is within the value limit (32), but 40 of them pass the 1024-byte frame limit.
    const then = Array.from({ length: 40 }, (_, i) => ({ op: 'set' as const, key: `k${i}`, value: 'v'.repeat(30) }));
    const err = thrown(() => request({ then }));
    expect(err.code).toBe(ErrorCode.TOO_LARGE);
    expect(err.message).toMatch(/frame limit is 1024/);
    const wireOps = then.map((s) => ['s', s.key, bytes(s.value)]);
    expect(thrown(() => txn.toWrite([Op.TXN, 1, [], wireOps, []], LIMITS)).code).toBe(ErrorCode.TOO_LARGE);
    // The same in two branches counts both.
    const half = wireOps.slice(0, 20);
    expect(thrown(() => txn.toWrite([Op.TXN, 1, [], half, half], LIMITS)).code).toBe(ErrorCode.TOO_LARGE);
    expect(() => txn.toWrite([Op.TXN, 1, [], half.slice(0, 5), half.slice(0, 5)], LIMITS)).not.toThrow();
  });

  test('the router refuses nesting, flushes, sweeps and malformed wire ops', () => {
    const w = (ifs: unknown, then: unknown, otherwise: unknown = []) => () => txn.toWrite([Op.TXN, 1, ifs, then, otherwise], LIMITS);
    expect(thrown(w([], [['t', [], [], []]])).message).toMatch(/cannot hold a transaction/);
    expect(thrown(w([], [], [['F']])).message).toMatch(/flush cannot be inside/);
    expect(thrown(w([], [['x', 10]])).message).toMatch(/sweep cannot be inside/);
    expect(thrown(w([['v', 'a', -1]], [])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(w([['=', 'a', 'text']], [])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(w([['?', 'a', true]], [])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(w('all', [])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(w([], [['s', 'a', 'text']])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(w([], [['s', 'a', bytes('v'), { ex: 1 }]])).message).toMatch(/unknown SET flag/);
    expect(thrown(w([], [['i', 'a', '1.5']])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(w([], [['e', 'a', 5, 6, 0]])).message).toMatch(/px or at/);
    expect(thrown(w([], [['e', 'a', null, null, 1]])).message).toMatch(/no condition/);
    expect(thrown(w([], [['r', 'a', 30, bytes('abcd')]])).code).toBe(ErrorCode.TOO_LARGE);
    expect(thrown(w([], [['G', 'a', 'b']])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(w([], [['q', 'a']])).message).toMatch(/unknown kind "q"/);
    expect(thrown(w([], [['G', 'é'.repeat(9)]])).code).toBe(ErrorCode.TOO_LARGE);
    // Every valid kind passes, move flags reduced to the known ones.
    expect(
      txn.toWrite(
        [Op.TXN, 1, [['e', 'a', true]], [['gx', 'a', null, 9, false], ['r', 'a', 1, bytes('x')], ['m', 'a', 'b', { nx: true, junk: 1 }], ['gd', 'a'], ['V', 'b']], []],
        LIMITS,
      ),
    ).toEqual([['t', [['e', 'a', true]], [['gx', 'a', null, 9, false], ['r', 'a', 1, bytes('x')], ['m', 'a', 'b', { nx: true }], ['gd', 'a'], ['V', 'b']], []]]);
  });
});
