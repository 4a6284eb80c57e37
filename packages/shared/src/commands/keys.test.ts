import { ErrorCode } from '../protocol/errors';
import { DEFAULT_KEYS_LIMIT } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import type { ReadStore } from './command';
import { keys } from './keys';
import { LIMITS, thrown, wire } from '../testing/command-spec';

const { request, decode } = keys.methods.keys;

/** Code point order (not UTF-16 order: '\u{1F600}' sorts after '\uFFFD'). */
function cmp(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

function store(...ks: string[]): ReadStore {
  const sorted = [...ks].sort(cmp);
  return {
    get: () => undefined,
    getStored: () => undefined,
    has: (k) => ks.includes(k),
    scan: (prefix, after, limit) => sorted.filter((k) => k.startsWith(prefix) && (after === null || cmp(k, after) > 0)).slice(0, limit),
    entry: () => undefined,
    count: () => 0,
    randomKey: () => undefined,
  };
}

describe('KEYS', () => {
  test('request gives prefix, limit and cursor, with defaults; the router accepts it as sent', () => {
    expect(request(LIMITS, [])).toEqual([Op.KEYS, 0, '', DEFAULT_KEYS_LIMIT, null]);
    const msg = request(LIMITS, ['user:', { limit: 2, cursor: 'user:b' }]);
    expect(msg).toEqual([Op.KEYS, 0, 'user:', 2, 'user:b']);
    expect(keys.toRead(wire(msg), LIMITS)).toEqual([Op.KEYS, 0, 'user:', 2, 'user:b']);
    expect(keys.toRead([Op.KEYS, 1, 'p'], LIMITS)).toEqual([Op.KEYS, 0, 'p', DEFAULT_KEYS_LIMIT, null]);
    expect(keys.methods.keys.retryable).toBe(true);
  });

  test("an '' cursor means none", () => {
    expect(request(LIMITS, ['', { cursor: '' }])[4]).toBeNull();
    expect(keys.toRead([Op.KEYS, 1, '', 5, ''], LIMITS)[4]).toBeNull();
  });

  test.each([0, 10001, 1.5, -1, '10', NaN])('limit %p is refused with BAD_REQUEST', (limit) => {
    expect(thrown(() => request(LIMITS, ['', { limit: limit as number }])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => keys.toRead([Op.KEYS, 1, '', limit, null], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => keys.serve(store(), [Op.KEYS, 0, '', limit, null], 1)).code).toBe(ErrorCode.BAD_REQUEST);
  });

  test('limits 1 and 10000 are allowed; non-string prefix or cursor refused; long ones TOO_LARGE', () => {
    expect(keys.toRead([Op.KEYS, 1, '', 1, null], LIMITS)[3]).toBe(1);
    expect(keys.toRead([Op.KEYS, 1, '', 10000, null], LIMITS)[3]).toBe(10000);
    expect(thrown(() => keys.toRead([Op.KEYS, 1, 5, 1, null], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => keys.toRead([Op.KEYS, 1, '', 1, 5], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    for (const err of [thrown(() => keys.toRead([Op.KEYS, 1, 'é'.repeat(9), 1, null], LIMITS)), thrown(() => keys.toRead([Op.KEYS, 1, '', 1, 'é'.repeat(9)], LIMITS)), thrown(() => request(LIMITS, ['é'.repeat(9)]))]) {
      expect(err.code).toBe(ErrorCode.TOO_LARGE);
      expect(err.details).toEqual({ size: 18, limit: 16 });
    }
  });

  test('serve pages through the keys with a prefix in code point order, each key once', () => {
    const s = store('b:2', 'a:1', 'b:1', 'b:\u{1F600}', 'b:\uFFFD', 'c');
    expect(keys.serve(s, [Op.KEYS, 0, 'b:', 10, null], 1)).toEqual([['b:1', 'b:2', 'b:\uFFFD', 'b:\u{1F600}'], null]);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = decode(keys.serve(s, [Op.KEYS, 0, 'b:', 3, cursor], 1));
      seen.push(...page.keys);
      cursor = page.cursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(seen).toEqual(['b:1', 'b:2', 'b:\uFFFD', 'b:\u{1F600}']);
    // A full page gives its last key as the cursor; a short page ends the listing.
    expect(keys.serve(s, [Op.KEYS, 0, 'b:', 2, null], 1)).toEqual([['b:1', 'b:2'], 'b:2']);
    expect(keys.serve(s, [Op.KEYS, 0, 'x', 2, null], 1)).toEqual([[], null]);
    // A cursor need not be a key that still exists.
    expect(keys.serve(s, [Op.KEYS, 0, 'b:', 10, 'b:10'], 1)).toEqual([['b:2', 'b:\uFFFD', 'b:\u{1F600}'], null]);
  });

  test('decode: [keys, cursor|nil]; PROTOCOL_ERROR on other shapes', () => {
    expect(decode([['a', 'b'], 'b'])).toEqual({ keys: ['a', 'b'], cursor: 'b' });
    expect(decode([[], null])).toEqual({ keys: [], cursor: null });
    for (const bad of [null, 'a', [], ['a', null], [['a'], 5]]) expect(thrown(() => decode(bad)).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});
