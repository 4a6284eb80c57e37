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

describe('RespParser GET/SET fast path', () => {
  function parseFast(input: string, byteByByte: boolean, accept = true) {
    const seen: string[][] = [];
    const p = new RespParser({
      maxBulkBytes: 1024,
      maxArgs: 200,
      maxInlineBytes: 256,
      onCommand: (args) => seen.push(['cmd', ...args.map((a) => a.toString('latin1'))]),
      onError: (m) => seen.push(['error', m]),
      onGet: (data, start, end) => {
        if (accept) seen.push(['get', data.toString('latin1', start, end)]);
        return accept;
      },
      onSet: (data, start, end, value) => {
        if (accept) seen.push(['set', data.toString('latin1', start, end), value.toString('latin1')]);
        return accept;
      },
    });
    const bytes = Buffer.from(input, 'latin1');
    if (byteByByte) for (const b of bytes) p.write(Buffer.from([b]));
    else p.write(bytes);
    return seen;
  }
  const many = Array.from({ length: 100 }, (_, i) => `k${i}`);
  const input = [
    '*2\r\n$3\r\nGET\r\n$3\r\nabc\r\n',
    '*3\r\n$3\r\nsEt\r\n$1\r\nk\r\n$4\r\n\r\nv\n\r\n',
    '*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nNX\r\n',
    '*2\r\n$3\r\nGEX\r\n$1\r\na\r\n',
    '*3\r\n$3\r\nGET\r\n$1\r\na\r\n$1\r\nb\r\n',
    '*2\r\n$4\r\nGETS\r\n$1\r\na\r\n',
    `*${many.length + 1}\r\n$4\r\nMGET\r\n${many.map((k) => `$${k.length}\r\n${k}\r\n`).join('')}`,
    '*2\r\n$3\r\nget\r\n$0\r\n\r\n',
  ].join('');
  const expected = [
    ['get', 'abc'],
    ['set', 'k', '\r\nv\n'],
    ['cmd', 'SET', 'k', 'v', 'NX'],
    ['cmd', 'GEX', 'a'],
    ['cmd', 'GET', 'a', 'b'],
    ['cmd', 'GETS', 'a'],
    ['cmd', 'MGET', ...many],
    ['get', ''],
  ];

  test.each([false, true])('plain GET and SET in any case go to onGet/onSet, everything else to onCommand (byte by byte: %s)', (byteByByte) => {
    expect(parseFast(input, byteByByte)).toEqual(expected);
  });

  test('a declined GET or SET reaches onCommand with its arguments', () => {
    expect(parseFast(input, false, false)).toEqual([
      ['cmd', 'GET', 'abc'],
      ['cmd', 'sEt', 'k', '\r\nv\n'],
      ...expected.slice(2, 7),
      ['cmd', 'get', ''],
    ]);
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
