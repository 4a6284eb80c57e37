import { UsageError } from './usage-error';
import { integerOption, parseBytes, parsePort } from './options';

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
