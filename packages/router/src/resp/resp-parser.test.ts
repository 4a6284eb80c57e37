import { RespParser } from './resp-parser';
import { globToRegExp, literalPrefix } from './glob';

function parse(input: Buffer, byteByByte = false): { commands: string[][]; errors: string[] } {
  const commands: string[][] = [];
  const errors: string[] = [];
  const p = new RespParser({
    maxBulkBytes: 1024,
    maxArgs: 16,
    maxInlineBytes: 256,
    onCommand: (args) => commands.push(args.map((a) => a.toString('latin1'))),
    onError: (m) => errors.push(m),
  });
  if (byteByByte) for (const b of input) p.write(Buffer.from([b]));
  else p.write(input);
  return { commands, errors };
}

const cases: Array<[string, string, string[][]]> = [
  ['one array', '*1\r\n$4\r\nPING\r\n', [['PING']]],
  ['pipelined', '*2\r\n$3\r\nGET\r\n$1\r\na\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$0\r\n\r\n', [['GET', 'a'], ['SET', 'b', '']]],
  ['binary bulk with CRLF inside', '*2\r\n$4\r\nECHO\r\n$4\r\n\r\n\r\n\r\n', [['ECHO', '\r\n\r\n']]],
  ['inline', 'SET k v\r\nGET k\n', [['SET', 'k', 'v'], ['GET', 'k']]],
  ['empty array is ignored', '*0\r\n*1\r\n$4\r\nPING\r\n', [['PING']]],
];

describe('RespParser', () => {
  for (const [name, input, expected] of cases) {
    test(`${name}: whole`, () => expect(parse(Buffer.from(input, 'latin1'))).toEqual({ commands: expected, errors: [] }));
    test(`${name}: byte by byte`, () => expect(parse(Buffer.from(input, 'latin1'), true)).toEqual({ commands: expected, errors: [] }));
  }

  test.each([
    ['bulk over the limit, before buffering it', '*2\r\n$3\r\nGET\r\n$999999\r\n', /exceeds the limit/],
    ['too many arguments', '*100\r\n', /too many arguments/],
    ['bad multibulk length', '*x\r\n', /invalid multibulk length/],
    ['missing $', '*1\r\n+OK\r\n', /expected '\$'/],
    ['endless inline request', 'A'.repeat(300), /too big inline/],
  ])('%s is a protocol error', (_name, input, pattern) => {
    const { errors } = parse(Buffer.from(input, 'latin1'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(pattern);
  });

  test('a truncated command waits for the rest', () => {
    expect(parse(Buffer.from('*2\r\n$3\r\nGET\r\n$5\r\nab'))).toEqual({ commands: [], errors: [] });
  });
});

describe('glob', () => {
  test.each([
    ['user:*', 'user:1', true],
    ['user:*', 'users', false],
    ['h?llo', 'hello', true],
    ['h[ae]llo', 'hallo', true],
    ['h[^e]llo', 'hello', false],
    ['h[a-c]llo', 'hbllo', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['*', 'anything at all', true],
  ])('%s matches %s: %s', (pattern, key, expected) => {
    expect(globToRegExp(pattern).test(key)).toBe(expected);
  });

  test('literal prefix stops at the first wildcard', () => {
    expect(literalPrefix('user:*:name')).toBe('user:');
    expect(literalPrefix('a\\*b*')).toBe('a*b');
    expect(literalPrefix('*')).toBe('');
  });
});
