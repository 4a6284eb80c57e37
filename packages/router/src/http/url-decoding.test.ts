import { KvndbError } from '@kvndb/shared';
import { decodeStrict, parseQuery, positiveInt, single, splitUrl } from './url-decoding';

describe('decodeStrict', () => {
  test.each([
    ['plain', 'plain'],
    ['a%2Fb', 'a/b'],
    ['a/b', 'a/b'],
    ['%D0%BA%D0%BB%D1%8E%D1%87', 'ключ'],
    ['%E2%9C%93', '✓'],
    ['%f0%9f%98%80', '😀'],
    ['a+b', 'a+b'],
  ])('%s -> %s', (raw, want) => expect(decodeStrict(raw, 'the key')).toBe(want));

  test('a + is a space only where asked (query strings, forms)', () => {
    expect(decodeStrict('a+b', 'q', true)).toBe('a b');
  });

  test('raw bytes of the request line (read as latin1) are taken as UTF-8 bytes', () => {
    expect(decodeStrict(Buffer.from('ключ', 'utf8').toString('latin1'), 'the key')).toBe('ключ');
  });

  test.each([['%ZZ'], ['%2'], ['abc%'], ['%G1'], ['%FF'], ['%C3%28'], ['caf%E9'], ['%ED%A0%80']])('%s is refused as BAD_REQUEST', (raw) => {
    let err: unknown;
    try {
      decodeStrict(raw, 'the key');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KvndbError);
    expect((err as KvndbError).code).toBe('BAD_REQUEST');
    expect((err as KvndbError).message).toMatch(/the key (has an invalid percent-encoding|is not valid UTF-8)/);
  });
});

describe('query strings', () => {
  test('split, decode, repeat', () => {
    const q = parseQuery('keys=a,b&keys=c&prefix=x%2Fy&flag&empty=');
    expect(q.get('keys')).toEqual(['a,b', 'c']);
    expect(single(q, 'prefix')).toBe('x/y');
    expect(single(q, 'flag')).toBe('');
    expect(single(q, 'empty')).toBe('');
    expect(() => single(q, 'keys')).toThrow(/given 2 times/);
  });

  test('positive integers only', () => {
    expect(positiveInt(parseQuery('ttl=1500'), 'ttl')).toBe(1500);
    expect(positiveInt(parseQuery(''), 'ttl')).toBeUndefined();
    for (const bad of ['ttl=0', 'ttl=-1', 'ttl=1.5', 'ttl=1e3', 'ttl=', 'ttl=99999999999999999999']) {
      expect(() => positiveInt(parseQuery(bad), 'ttl')).toThrow(/must be an integer/);
    }
    expect(() => positiveInt(parseQuery('limit=10001'), 'limit', 10000)).toThrow(/from 1 to 10000/);
  });

  test('splitUrl keeps both parts undecoded', () => {
    expect(splitUrl('/v1/kv/a%2Fb?ttl=5&x=%20')).toEqual({ path: '/v1/kv/a%2Fb', query: 'ttl=5&x=%20' });
    expect(splitUrl('/v1/kv/a')).toEqual({ path: '/v1/kv/a', query: '' });
  });
});
