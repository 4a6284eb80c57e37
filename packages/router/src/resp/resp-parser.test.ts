import { randomFillSync } from 'node:crypto';
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

/** Everything a parser reports, in order: onGet/onSet/onCommand/onError, as strings. */
function recorder(options: { maxBulkBytes?: number; maxArgs?: number; preLogin?: { maxBulkBytes: number; maxArgs: number } } = {}) {
  const seen: string[][] = [];
  const parser = new RespParser({
    maxBulkBytes: options.maxBulkBytes ?? 1024,
    maxArgs: options.maxArgs ?? 200,
    maxInlineBytes: 256,
    preLogin: options.preLogin,
    onCommand: (args) => seen.push(['cmd', ...args.map((a) => a.toString('latin1'))]),
    onError: (m) => seen.push(['error', m]),
    onGet: (data, start, end) => (seen.push(['get', data.toString('latin1', start, end)]), true),
    onSet: (data, start, end, value) => (seen.push(['set', data.toString('latin1', start, end), value.toString('latin1')]), true),
  });
  return { parser, seen };
}

function resp(...args: Array<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(a, 'latin1');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

describe('RespParser across chunk boundaries', () => {
  const mixed = Buffer.concat([
    resp('GET', 'abc'),
    resp('SET', 'k', 'a value\r\nwith CRLF'),
    resp('MSET', 'a', '1', 'b', '', 'c', '333'),
    Buffer.from('*0\r\n'),
    Buffer.from('PING inline\r\n'),
    resp('set', 'k2', ''),
    resp('ECHO', 'x'.repeat(40)),
    resp('GETS', 'k'),
  ]);
  const withErrors: Array<[string, Buffer]> = [
    ['a bulk over the limit', Buffer.concat([resp('GET', 'a'), Buffer.from('*2\r\n$3\r\nSET\r\n$99999\r\n'), Buffer.alloc(40, 'z')])],
    ['a missing $ after a complete argument', Buffer.concat([resp('GET', 'a'), Buffer.from('*2\r\n$4\r\nECHO\r\n+OK\r\n')])],
    ['an endless bulk header', Buffer.from(`*1\r\n$${'1'.repeat(40)}`)],
    ['an endless inline request', Buffer.from('P'.repeat(300))],
    ['a bad multibulk length', Buffer.concat([resp('GET', 'a'), Buffer.from('*1x\r\n')])],
  ];

  function whole(input: Buffer) {
    const r = recorder();
    r.parser.write(input);
    return r;
  }

  test.each([['mixed commands', mixed], ...withErrors])('%s: split at every byte boundary, parsed identically', (_name, input) => {
    const expected = whole(input).seen;
    expect(expected.length).toBeGreaterThan(0);
    for (let at = 1; at < input.length; at++) {
      const r = recorder();
      r.parser.write(input.subarray(0, at));
      r.parser.write(input.subarray(at));
      expect([at, r.seen]).toEqual([at, expected]);
    }
  });

  test('mixed commands split in three at byte boundaries up to 24 bytes apart parse identically, and nothing is left buffered', () => {
    const expected = whole(mixed).seen;
    for (let a = 1; a < mixed.length; a++) {
      for (let b = a + 1; b < Math.min(mixed.length, a + 24); b++) {
        const r = recorder();
        r.parser.write(Buffer.from(mixed.subarray(0, a)));
        r.parser.write(Buffer.from(mixed.subarray(a, b)));
        r.parser.write(Buffer.from(mixed.subarray(b)));
        if (r.seen.length !== expected.length) expect([a, b, r.seen]).toEqual([a, b, expected]);
        expect(r.parser.bufferedBytes).toBe(0);
      }
    }
    // Spot check the contents too (the length check above keeps the loop fast).
    const r = recorder();
    for (const b of mixed) r.parser.write(Buffer.from([b]));
    expect(r.seen).toEqual(expected);
  });

  test('bufferedBytes counts an unfinished command from its first byte, and is 0 between commands', () => {
    const { parser } = recorder();
    const cmd = resp('MSET', 'a', '1', 'b', 'x'.repeat(100));
    parser.write(cmd.subarray(0, 1));
    expect(parser.bufferedBytes).toBe(1);
    parser.write(cmd.subarray(1, 4)); // "*5\r\n": only the array header
    expect(parser.bufferedBytes).toBe(4);
    parser.write(cmd.subarray(4, 60));
    expect(parser.bufferedBytes).toBe(60);
    parser.write(cmd.subarray(60));
    expect(parser.bufferedBytes).toBe(0);
    parser.write(Buffer.from('GET'));
    expect(parser.bufferedBytes).toBe(3);
  });

  test('arguments of a command that spanned writes stay intact after later writes', () => {
    const kept: Buffer[][] = [];
    const parser = new RespParser({
      maxBulkBytes: 1 << 20,
      maxArgs: 10,
      maxInlineBytes: 256,
      onCommand: (args) => kept.push(args),
      onError: () => {},
    });
    const first = resp('ECHO', Buffer.alloc(5000, 'a'), 'b');
    parser.write(Buffer.from(first.subarray(0, 3000)));
    parser.write(Buffer.from(first.subarray(3000)));
    for (let i = 0; i < 20; i++) parser.write(resp('ECHO', Buffer.alloc(5000, 'z'), 'y'));
    expect(kept).toHaveLength(21);
    expect(kept[0].map((a) => a.toString())).toEqual(['ECHO', 'a'.repeat(5000), 'b']);
  });

  test('the limits before login apply to a command spanning writes, and the configured ones after login()', () => {
    const pre = { maxBulkBytes: 16384, maxArgs: 10 };
    const big = resp('ECHO', Buffer.alloc(16385, 'b'));
    let r = recorder({ maxBulkBytes: 1 << 20, preLogin: pre });
    r.parser.write(big.subarray(0, 8));
    r.parser.write(big.subarray(8));
    expect(r.seen).toEqual([['error', 'Protocol error: unauthenticated bulk length (16385 bytes; at most 16384 before AUTH)']]);

    r = recorder({ maxBulkBytes: 1 << 20, preLogin: pre });
    r.parser.write(Buffer.from('*11\r'));
    r.parser.write(Buffer.from('\n'));
    expect(r.seen).toEqual([['error', 'Protocol error: unauthenticated multibulk length (at most 10 arguments before AUTH)']]);

    r = recorder({ maxBulkBytes: 1 << 20, preLogin: pre });
    r.parser.login();
    r.parser.write(big.subarray(0, 8));
    r.parser.write(big.subarray(8));
    expect(r.seen).toEqual([['cmd', 'ECHO', 'b'.repeat(16385)]]);
  });
});

describe('RespParser with large values', () => {
  const MiB = 1024 * 1024;

  test('a 64 MiB value fed in 64 KiB chunks arrives whole and right, and the commands after it too', () => {
    const size = 64 * MiB;
    const value = randomFillSync(Buffer.allocUnsafe(size));
    const input = Buffer.concat([resp('SET', 'big', value), resp('GET', 'big'), resp('set', 'x', 'y')]);
    const got: Array<[string, string, Buffer?]> = [];
    const parser = new RespParser({
      maxBulkBytes: size,
      maxArgs: 16,
      maxInlineBytes: 256,
      onCommand: (args) => got.push(['cmd', args.join(' ')]),
      onError: (m) => got.push(['error', m]),
      onGet: (data, start, end) => (got.push(['get', data.toString('latin1', start, end)]), true),
      onSet: (data, start, end, v) => (got.push(['set', data.toString('latin1', start, end), v]), true),
    });
    const chunk = 64 * 1024;
    const buffered: number[] = [];
    for (let off = 0; off < input.length; off += chunk) {
      parser.write(input.subarray(off, off + chunk));
      if (off + chunk < size && parser.bufferedBytes !== off + chunk) buffered.push(off + chunk, parser.bufferedBytes);
    }
    expect(buffered).toEqual([]);
    expect(got.map((g) => g.slice(0, 2))).toEqual([['set', 'big'], ['get', 'big'], ['set', 'x']]);
    const v = got[0][2] as Buffer;
    expect(v.length).toBe(size);
    expect(v.equals(value)).toBe(true);
    expect(parser.bufferedBytes).toBe(0);
  });

  /**
   * Bytes the parser allocates or copies, counted at the Buffer API (Buffer.concat / from /
   * alloc*, Buffer#copy; calls made inside another counted call count once).
   */
  function countBufferWork(run: () => void): number {
    let bytes = 0;
    let depth = 0;
    const spies: jest.SpyInstance[] = [];
    const wrap = (obj: any, name: string, size: (result: any, args: any[]) => number) => {
      const original = obj[name];
      spies.push(
        jest.spyOn(obj, name).mockImplementation(function (this: unknown, ...args: any[]) {
          depth++;
          try {
            const result = original.apply(this, args);
            if (depth === 1) bytes += size(result, args);
            return result;
          } finally {
            depth--;
          }
        }),
      );
    };
    for (const name of ['concat', 'from', 'alloc', 'allocUnsafe', 'allocUnsafeSlow']) wrap(Buffer, name, (r: Buffer) => r.length);
    wrap(Buffer.prototype, 'copy', (n: number) => n);
    try {
      run();
    } finally {
      for (const s of spies) s.mockRestore();
    }
    return bytes;
  }

  test('a value spanning many chunks is copied about once, not once per chunk (linear, not quadratic)', () => {
    const size = MiB;
    const input = resp('SET', 'big', Buffer.alloc(size, 'v'));
    const chunks: Buffer[] = [];
    for (let off = 0; off < input.length; off += 1024) chunks.push(input.subarray(off, off + 1024));
    let value: Buffer | undefined;
    const parser = new RespParser({
      maxBulkBytes: size,
      maxArgs: 16,
      maxInlineBytes: 256,
      onCommand: () => {},
      onError: (m) => {
        throw new Error(m);
      },
      onSet: (_d, _s, _e, v) => ((value = v), true),
    });
    const work = countBufferWork(() => {
      for (const c of chunks) parser.write(c);
    });
    expect(value?.length).toBe(size);
    // One buffer of the value's size, each byte copied into it once: about 2x the size. A
    // parser joining the whole partial command on every chunk does ~1024 x 0.5 MiB, twice.
    expect(work).toBeLessThanOrEqual(2 * size + 64 * 1024);
  });

  test('many arguments spanning many chunks are not re-read per chunk either', () => {
    const args = Array.from({ length: 20000 }, (_, i) => `key:${i}`);
    const input = resp('MSET', ...args);
    let got: number | undefined;
    const parser = new RespParser({
      maxBulkBytes: 1024,
      maxArgs: 1 << 20,
      maxInlineBytes: 256,
      onCommand: (a) => (got = a.length),
      onError: (m) => {
        throw new Error(m);
      },
    });
    const work = countBufferWork(() => {
      for (let off = 0; off < input.length; off += 1000) parser.write(input.subarray(off, off + 1000));
    });
    expect(got).toBe(20001);
    expect(work).toBeLessThanOrEqual(2 * input.length);
  });

  test('small commands whole in one chunk are parsed in place: no buffer allocated or copied', () => {
    const input = Buffer.concat(Array.from({ length: 500 }, (_, i) => Buffer.concat([resp('SET', `k${i}`, 'v'.repeat(100)), resp('GET', `k${i}`), resp('DEL', `k${i}`)])));
    let n = 0;
    const parser = new RespParser({
      maxBulkBytes: 1024,
      maxArgs: 16,
      maxInlineBytes: 256,
      onCommand: () => n++,
      onError: (m) => {
        throw new Error(m);
      },
      onGet: () => (n++, true),
      onSet: () => (n++, true),
    });
    expect(countBufferWork(() => parser.write(input))).toBe(0);
    expect(n).toBe(1500);
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
