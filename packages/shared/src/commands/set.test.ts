import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { Answer } from './command';
import { set } from './set';
import { LIMITS, thrown, wire } from '../testing/command-spec';

const bytes = (s: string) => Buffer.from(s, 'utf8');

describe('SET', () => {
  test('set() and setGet() messages pass the router and become one set op with their flags', () => {
    const cases: [unknown[], unknown[]][] = [
      [set.methods.set.request(LIMITS, ['k', 'héllo']), ['s', 'k', bytes('héllo')]],
      [set.methods.set.request(LIMITS, ['k', bytes('v'), { nx: true }]), ['s', 'k', bytes('v'), { nx: true }]],
      [set.methods.set.request(LIMITS, ['k', 'v', { xx: true, nx: false }]), ['s', 'k', bytes('v'), { xx: true }]],
      [set.methods.setGet.request(LIMITS, ['k', 'v']), ['s', 'k', bytes('v'), { get: true }]],
      [set.methods.setGet.request(LIMITS, ['k', 'v', { nx: true }]), ['s', 'k', bytes('v'), { nx: true, get: true }]],
      [set.methods.set.request(LIMITS, ['k', '<p/>', { contentType: 'text/html; charset=utf-8' }]), ['s', 'k', bytes('<p/>'), { ct: 'text/html; charset=utf-8' }]],
      [set.methods.set.request(LIMITS, ['k', 'v', { contentType: 'text/plain', ttlMs: 5 }]), ['s', 'k', bytes('v'), { px: 5, ct: 'text/plain' }]],
    ];
    for (const [msg, op] of cases) {
      expect(msg[0]).toBe(Op.SET);
      const ops = set.toWrite(wire(msg), LIMITS);
      expect(ops.map(([k, key, v, f]) => [k, key, Buffer.from(v as Uint8Array), ...(f ? [f] : [])])).toEqual([op]);
    }
  });

  test('writes are not retried; the answer is the first op result', () => {
    expect(set.methods.set.retryable).toBe(false);
    expect(set.methods.setGet.retryable).toBe(false);
    expect(set.answer).toBe(Answer.First);
  });

  test('bad keys, values and options are refused by the client', () => {
    const req = (...args: unknown[]) => () => set.methods.set.request(LIMITS, args as never);
    expect(thrown(req('', 'v')).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(req(3, 'v')).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(req('k', 12)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(req('k', 'v', { nx: true, xx: true })).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(req('k', 'v', { get: true })).message).toMatch(/setGet/);
    expect(thrown(req('k', 'v', 'nx')).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(req('é'.repeat(9), 'v')).details).toEqual({ size: 18, limit: 16 });
    const big = thrown(req('k', 'é'.repeat(17)));
    expect([big.code, big.details]).toEqual([ErrorCode.TOO_LARGE, { size: 34, limit: 32 }]);
    expect(() => set.methods.set.request(LIMITS, ['k'.repeat(16), 'v'.repeat(32)])).not.toThrow();
  });

  test('the router refuses bad keys, non-byte values, bad and unknown flags', () => {
    const w = (key: unknown, value: unknown, flags?: unknown) => () => set.toWrite([Op.SET, 1, key, value, flags], LIMITS);
    expect(thrown(w('', bytes('v'))).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(w(['k'], bytes('v'))).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(w('k', 'v')).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(w('k', bytes('v'), { nx: true, xx: true })).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(w('k', bytes('v'), { ex: true })).message).toMatch(/unknown SET flag "ex"/);
    expect(thrown(w('k', bytes('v'), { px: true })).message).toMatch(/px must be a positive integer/);
    expect(thrown(w('k', bytes('v'), { px: 10, keep: true })).message).toMatch(/one expiry at most/);
    expect(thrown(w('k', bytes('v'), { nx: true, ver: 3 })).message).toMatch(/one condition at most/);
    expect(thrown(w('k', bytes('v'), { nx: 1 })).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(w('k', bytes('v'), ['nx'])).code).toBe(ErrorCode.BAD_REQUEST);
    const big = thrown(w('k', Buffer.alloc(33)));
    expect([big.code, big.details]).toEqual([ErrorCode.TOO_LARGE, { size: 33, limit: 32 }]);
    expect(set.toWrite([Op.SET, 1, 'k', bytes('v'), { nx: false, xx: null }], LIMITS)).toEqual([['s', 'k', bytes('v')]]);
  });

  test('a content type must be a media type of at most 255 printable ASCII bytes, for the client and the router', () => {
    const ok = ['text/html', 'text/html; charset=utf-8', 'application/vnd.api+json', 'text/plain; a="quoted; value"', `text/${'x'.repeat(250)}`];
    const bad: unknown[] = ['', 'text', 'text/', '/html', 'text/html;', 'text/html; charset', 'a b/c', 'text/é', 'text/html\n', `text/${'x'.repeat(251)}`, 7, null, ['text/html']];
    for (const ct of ok) {
      expect(set.methods.set.request(LIMITS, ['k', 'v', { contentType: ct }])[4]).toEqual({ ct });
      expect(set.toWrite([Op.SET, 1, 'k', bytes('v'), { ct }], LIMITS)).toEqual([['s', 'k', bytes('v'), { ct }]]);
    }
    for (const ct of bad) {
      const client = thrown(() => set.methods.set.request(LIMITS, ['k', 'v', { contentType: ct as string }]));
      expect([client.code, client.message]).toEqual([ErrorCode.BAD_REQUEST, expect.stringMatching(/content type|media type/)]);
      // null is "no flag" on the wire, as for the other flags.
      if (ct === null) continue;
      expect(thrown(() => set.toWrite([Op.SET, 1, 'k', bytes('v'), { ct }], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    }
  });

  test('decode: set() a boolean, setGet() the previous value or null', () => {
    expect(set.methods.set.decode(true)).toBe(true);
    expect(set.methods.set.decode(false)).toBe(false);
    expect(set.methods.setGet.decode([true, new Uint8Array(bytes('old'))])?.toString()).toBe('old');
    expect(set.methods.setGet.decode([false, null])).toBeNull();
    for (const bad of [null, 'x', [1, null]]) {
      expect(thrown(() => set.methods.set.decode(bad)).code).toBe(ErrorCode.PROTOCOL_ERROR);
      expect(thrown(() => set.methods.setGet.decode(bad)).code).toBe(ErrorCode.PROTOCOL_ERROR);
    }
    expect(thrown(() => set.methods.setGet.decode([true, 'old'])).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});
