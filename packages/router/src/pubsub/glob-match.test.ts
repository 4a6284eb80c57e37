import { globMatch } from './glob-match';

/**
 * Every pattern against every subject, the expected matches taken from redis-server 7.0
 * (KEYS runs the same stringmatchlen as PSUBSCRIBE): the corner cases included.
 */
const SUBJECTS = ["a","b","ab","abc","abd","a*c","a?c","a]","]","[","a[","-","a-","z","m","hello","hallo","hxllo","heeeello","foo.bar","news.tech","news.","\\","a\\b","aaaaaaaaaaaaaaaaaaaaaaaaaaaaab","^","x^"];
const FROM_REDIS: Array<[string, string[]]> = [
  ["*",["a","b","ab","abc","abd","a*c","a?c","a]","]","[","a[","-","a-","z","m","hello","hallo","hxllo","heeeello","foo.bar","news.tech","news.","\\","a\\b","aaaaaaaaaaaaaaaaaaaaaaaaaaaaab","^","x^"]],
  ["?",["a","b","]","[","-","z","m","\\","^"]],
  ["a*",["a","ab","abc","abd","a*c","a?c","a]","a[","a-","a\\b","aaaaaaaaaaaaaaaaaaaaaaaaaaaaab"]],
  ["*c",["abc","a*c","a?c"]],
  ["a?c",["abc","a*c","a?c"]],
  ["a\\*c",["a*c"]],
  ["a\\?c",["a?c"]],
  ["[abc]",["a","b"]],
  ["[^a]",["b","]","[","-","z","m","\\","^"]],
  ["[a-c]",["a","b"]],
  ["[c-a]",["a","b"]],
  ["[]",[]],
  ["[]a]",[]],
  ["a[",[]],
  ["[a",["a"]],
  ["[ab",["a","b"]],
  ["a[]",[]],
  ["[\\]]",["]"]],
  ["[a-]",["a","]","^"]],
  ["[-a]",["a","-"]],
  ["h[ae]llo",["hello","hallo"]],
  ["h[^e]llo",["hallo","hxllo"]],
  ["h*llo",["hello","hallo","hxllo","heeeello"]],
  ["h?llo",["hello","hallo","hxllo"]],
  ["news.*",["news.tech","news."]],
  ["*.*",["foo.bar","news.tech","news."]],
  ["**",["a","b","ab","abc","abd","a*c","a?c","a]","]","[","a[","-","a-","z","m","hello","hallo","hxllo","heeeello","foo.bar","news.tech","news.","\\","a\\b","aaaaaaaaaaaaaaaaaaaaaaaaaaaaab","^","x^"]],
  ["a**c",["abc","a*c","a?c"]],
  ["\\",["\\"]],
  ["a\\",[]],
  ["[\\",["\\"]],
  ["*a*a*a*a*a*a*a*a*b",["aaaaaaaaaaaaaaaaaaaaaaaaaaaaab"]],
  ["[^]",["a","b","]","[","-","z","m","\\","^"]],
  ["[^^]",["a","b","]","[","-","z","m","\\"]],
  ["\\a",["a"]],
  ["a[b-]",["ab","a]"]],
];

describe('globMatch (Redis stringmatchlen)', () => {
  test.each(FROM_REDIS)('%j matches what Redis matches', (pattern, expected) => {
    expect(SUBJECTS.filter((s) => globMatch(pattern, s))).toEqual(expected);
  });

  test("the empty channel: only the empty pattern matches it (Redis's `*` does not: PUBLISH '' reaches no PSUBSCRIBE *)", () => {
    expect(globMatch('', '')).toBe(true);
    expect(globMatch('*', '')).toBe(false);
    expect(globMatch('**', '')).toBe(false);
    expect(globMatch('?', '')).toBe(false);
    expect(globMatch('a', '')).toBe(false);
  });

  test('bytes, not characters: a pattern sees each byte of a UTF-8 channel', () => {
    const channel = Buffer.from('é', 'utf8').toString('latin1');
    expect(globMatch('??', channel)).toBe(true);
    expect(globMatch('?', channel)).toBe(false);
  });

  test('an abusive pattern is answered quickly (no exponential backtracking)', () => {
    const pattern = '*a'.repeat(40) + '*b';
    const subject = 'a'.repeat(5000);
    const t0 = Date.now();
    expect(globMatch(pattern, subject)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(500);
  });
});
