import fc from 'fast-check';
import { KvndbError } from '@kvndb/shared';
import { quote } from './format';
import { tokenize, tokenizeToStrings } from './tokenizer';

describe('tokenize', () => {
  it.each([
    ['set a b', ['set', 'a', 'b']],
    ['  get   key  ', ['get', 'key']],
    ['\tget\tkey', ['get', 'key']],
    ['', []],
    ['   ', []],
    ["set k 'hello world'", ['set', 'k', 'hello world']],
    ['set k "hello world"', ['set', 'k', 'hello world']],
    ['set k ""', ['set', 'k', '']],
    ["set k ''", ['set', 'k', '']],
    ['a"b c"d', ['ab cd']],
    ["'it''s'", ['its']],
    ['"it\'s"', ["it's"]],
    ["'say \"hi\"'", ['say "hi"']],
    ['"say \\"hi\\""', ['say "hi"']],
    ['a\\ b', ['a b']],
    ['a\\"b', ['a"b']],
    ["'no \\n escapes'", ['no \\n escapes']],
    ['"line\\nbreak\\ttab\\r"', ['line\nbreak\ttab\r']],
    ['"back\\\\slash"', ['back\\slash']],
    ['"C:\\dir"', ['C:\\dir']],
    ['"\\u00e9\\u{1F600}"', ['é😀']],
    ['"\\e[0m"', ['\x1b[0m']],
    ['Grüße 日本 😀', ['Grüße', '日本', '😀']],
  ])('%j -> %j', (line, expected) => {
    expect(tokenizeToStrings(line)).toEqual(expected);
  });

  it('turns \\xHH into one raw byte, so values can be binary', () => {
    const [value] = tokenize('"\\xff\\x00\\x41"');
    expect([...value]).toEqual([0xff, 0x00, 0x41]);
  });

  it('encodes characters as UTF-8 bytes', () => {
    expect([...tokenize('é')[0]]).toEqual([0xc3, 0xa9]);
  });

  it.each([
    ['get "abc', 'unterminated double quote'],
    ["get 'abc", 'unterminated single quote'],
    ['get abc\\', 'the line ends with a backslash'],
    ['"\\x4"', '\\x needs two hex digits'],
    ['"\\xzz"', '\\x needs two hex digits'],
    ['"\\u{110000}"', '\\u needs a Unicode code point'],
    ['"\\ud800"', 'not a surrogate'],
    ['"\\u{41"', 'missing its closing }'],
    ['"\\', 'unterminated double quote'],
  ])('rejects %j with BAD_REQUEST', (line, message) => {
    let error: unknown;
    try {
      tokenize(line);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KvndbError);
    expect((error as KvndbError).code).toBe('BAD_REQUEST');
    expect((error as KvndbError).message).toContain(message);
  });

  it('reads back any string the formatter quotes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), (a, b) => {
        for (const text of [a, b.replace(/[\ud800-\udfff]/g, '')]) {
          expect(tokenizeToStrings(`set k ${quote(text)}`)).toEqual(['set', 'k', text]);
        }
      }),
    );
  });

  it('never throws anything but a KvndbError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (line) => {
        try {
          tokenize(line);
        } catch (err) {
          expect(err).toBeInstanceOf(KvndbError);
        }
      }),
    );
  });
});
