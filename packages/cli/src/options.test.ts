import { UsageError } from './usage-error';
import { fromCommandLine, integerOption, looksLikeAddress, parseBytes, parsePort, protectAfterDoubleDash, settleAddress, withArgumentsRestored } from './options';

describe('parsePort', () => {
  it.each([
    ['0', 0],
    ['54565', 54565],
    ['65535', 65535],
    [8080, 8080],
  ])('%j -> %d', (input, port) => {
    expect(parsePort(input)).toBe(port);
  });
  it.each(['abc', '-1', '65536', '99999', '1.5', '', '0x10', '12abc'])('rejects %j', (input) => {
    expect(() => parsePort(input)).toThrow(UsageError);
    expect(() => parsePort(input)).toThrow(/port must be a number from 0 to 65535/);
  });
});

describe('parseBytes', () => {
  it.each([
    ['65536', 65536],
    ['64k', 65536],
    ['64KiB', 65536],
    ['64m', 64 * 1024 * 1024],
    ['1.5g', 1.5 * 1024 ** 3],
    ['10 MB', 10 * 1024 * 1024],
    ['0', 0],
  ])('%j -> %d', (input, bytes) => {
    expect(parseBytes('backlog-size', input)).toBe(bytes);
  });
  it.each(['', 'lots', '10q', '-5', 'm'])('rejects %j naming the option', (input) => {
    expect(() => parseBytes('backlog-size', input)).toThrow(/--backlog-size must be a byte count/);
  });
});

describe('integerOption', () => {
  it('parses whole numbers and passes undefined through', () => {
    const parse = integerOption('write-timeout', 1);
    expect(parse('250')).toBe(250);
    expect(parse(undefined)).toBeUndefined();
  });
  it.each(['0', 'abc', '1.5', '-3', '1e3'])('rejects %j for a minimum of 1', (input) => {
    expect(() => integerOption('write-timeout', 1)(input)).toThrow(/--write-timeout must be a whole number >= 1/);
  });
});

describe('settleAddress', () => {
  it('takes the positional form, the option form, or both when they agree', () => {
    const cases: Array<[Record<string, unknown>, { host?: string; port: number }]> = [
      [{}, { host: undefined, port: 54565 }],
      [{ HOST: 'db', PORT: '6000' }, { host: 'db', port: 6000 }],
      [{ host: 'db', port: 6000 }, { host: 'db', port: 6000 }],
      [{ HOST: 'db', port: 6000 }, { host: 'db', port: 6000 }],
      [{ HOST: 'db', PORT: '6000', host: 'db', port: 6000 }, { host: 'db', port: 6000 }],
    ];
    for (const [argv, expected] of cases) {
      settleAddress(argv);
      expect({ host: argv.host, port: argv.port }).toEqual(expected);
    }
  });
  it('refuses two different values for one part of the address', () => {
    expect(() => settleAddress({ HOST: 'a', host: 'b' })).toThrow(/the host is given twice, as a and as -H b/);
    expect(() => settleAddress({ PORT: '1', port: 2 })).toThrow(/the port is given twice, as 1 and as -p 2/);
    expect(() => settleAddress({ PORT: 'x' })).toThrow(UsageError);
  });
});

describe('looksLikeAddress', () => {
  it.each(['127.0.0.1', '10.0.0.5:6000', '::1', '[::1]:6000', 'localhost', 'LOCALHOST:54565', 'fe80::1'])('%s does', (text) => {
    expect(looksLikeAddress(text)).toBe(true);
  });
  it.each(['user:1', 'greeting', '', '6000', '1.2.3', 'db.example.com', 'a:b:c', 'localhostess'])('%j does not', (text) => {
    expect(looksLikeAddress(text)).toBe(false);
  });
});

describe('arguments after --', () => {
  it('stand in as placeholders for the data modes and come back as typed', () => {
    const argv = protectAfterDoubleDash(['set', '-p', '1', 'k', '--', '-1'], ['set']);
    expect(argv.slice(0, 4)).toEqual(['set', '-p', '1', 'k']);
    expect(argv).toHaveLength(5);
    expect(argv[4]).not.toMatch(/^-/);
    expect(fromCommandLine(argv[4])).toEqual({ text: '-1', protected: true });
    expect(fromCommandLine('k')).toEqual({ text: 'k', protected: false });
    expect(withArgumentsRestored(`Unknown argument: ${argv[4]}`)).toBe('Unknown argument: -1');
  });
  it('change nothing for the address', () => {
    const argv = protectAfterDoubleDash(['cmd', '--', '10.0.0.5', '6000', 'status'], ['cmd']);
    const parsed: Record<string, unknown> = { HOST: argv[1], PORT: argv[2] };
    settleAddress(parsed);
    expect({ host: parsed.host, port: parsed.port }).toEqual({ host: '10.0.0.5', port: 6000 });
  });
  it('are left to yargs for the other modes', () => {
    const argv = ['router', '--', 'x'];
    expect(protectAfterDoubleDash(argv, ['set'])).toBe(argv);
  });
});
