import type { RouterStatus } from '@kvndb/shared';
import {
  AUTH_HINT,
  NO_REPLICAS_HINT,
  formatBytes,
  formatDuration,
  formatError,
  formatStatus,
  formatText,
  formatValue,
  jsonValue,
  table,
} from './format';
import { progressBar } from './format';
import { tokenize } from './tokenizer';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('formatValue', () => {
  it.each([
    ['hello', 'hello'],
    ['hello world', 'hello world'],
    ['Grüße 😀', 'Grüße 😀'],
    ['', '""'],
    ['two\nlines', '"two\\nlines"'],
    ['tab\there', '"tab\\there"'],
    ['bell\x07', '"bell\\x07"'],
    ['del\x7f', '"del\\x7f"'],
    ['\x1b[31mred', '"\\x1b[31mred"'],
    ['c1\u0085', '"c1\\u{85}"'],
    ['bidi\u202Eevil', '"bidi\\u{202e}evil"'],
    ['"quoted"', '"\\"quoted\\""'],
    ['<hex:00>', '"<hex:00>"'],
    ['(nil)', '"(nil)"'],
    ['back\\slash', 'back\\slash'],
  ])('%j is shown as %s', (value, shown) => {
    expect(formatValue(bytes(value))).toBe(shown);
  });

  it('shows a missing value as (nil)', () => {
    expect(formatValue(null)).toBe('(nil)');
    expect(formatValue(undefined)).toBe('(nil)');
  });

  it('shows bytes that are not UTF-8 as hex', () => {
    expect(formatValue(Uint8Array.from([0xff, 0x00, 0x10]))).toBe('<hex:ff0010>');
    expect(formatValue(Uint8Array.from([0xc3]))).toBe('<hex:c3>'); // truncated sequence
  });

  it('hexes only the view, not the whole underlying buffer', () => {
    const big = Buffer.from([1, 2, 0xff, 0xfe, 5]);
    expect(formatValue(big.subarray(2, 4))).toBe('<hex:fffe>');
  });

  it('shows quoted values in a form the tokenizer reads back to the same bytes', () => {
    for (const value of ['a\nb', '"x"y\\z', '\x00\x01', '\u2028', '', '"', '<hex:ab>']) {
      const shown = formatValue(bytes(value));
      expect(shown.startsWith('"')).toBe(true);
      expect(tokenize(shown)).toEqual([bytes(value)]);
    }
  });

  it('never lets a control character through raw', () => {
    for (let code = 0; code < 0x20; code++) {
      expect(formatValue(Buffer.from([0x61, code]))).not.toMatch(/[\x00-\x1f]/);
    }
  });
});

describe('formatText', () => {
  it('shows keys the same way as values', () => {
    expect(formatText('user:1')).toBe('user:1');
    expect(formatText('a\nb')).toBe('"a\\nb"');
  });
});

describe('jsonValue', () => {
  it('gives strings for UTF-8, {hex} otherwise, null when missing', () => {
    expect(jsonValue(bytes('hi\n'))).toBe('hi\n');
    expect(jsonValue(Uint8Array.from([0xff]))).toEqual({ hex: 'ff' });
    expect(jsonValue(null)).toBeNull();
  });
});

describe('formatError', () => {
  it('is one line with the code', () => {
    expect(formatError({ code: 'TIMEOUT', message: 'took\ntoo long' })).toEqual(['(error) TIMEOUT: took too long']);
  });
  it('adds a hint for AUTH_FAILED and NO_REPLICAS', () => {
    expect(formatError({ code: 'AUTH_FAILED', message: 'wrong password' })).toEqual([
      '(error) AUTH_FAILED: wrong password',
      AUTH_HINT,
    ]);
    expect(AUTH_HINT).toContain('KVNDB_PASSWORD');
    expect(AUTH_HINT).toContain('--password');
    expect(formatError({ code: 'NO_REPLICAS', message: 'none' })[1]).toBe(NO_REPLICAS_HINT);
    expect(NO_REPLICAS_HINT).toContain('kvndb memory');
  });
});

describe('helpers', () => {
  it('pads table columns', () => {
    expect(table([['a', 'bb', 'c'], ['ddd', 'e', 'f']])).toEqual(['a    bb  c', 'ddd  e   f']);
  });
  it('formats bytes and durations', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(64 * 1024 * 1024)).toBe('64.0 MiB');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(61_000)).toBe('1m 1s');
    expect(formatDuration(3_723_000)).toBe('1h 2m 3s');
    expect(formatDuration(90_061_000)).toBe('1d 1h 1m');
    expect(formatDuration(NaN)).toBe('-');
  });
});

describe('formatStatus', () => {
  const status: RouterStatus = {
    version: '0.1.0',
    protocol: 1,
    epoch: 1700000000000,
    seq: 4321,
    uptimeMs: 3_723_000,
    writeAck: 'majority',
    clients: 3,
    ops: { reads: 1000, writes: 250, readsPerSec: 12.345, writesPerSec: 150.7 },
    replicas: [
      { id: 1, name: 'mem-1', address: '127.0.0.1:40001', state: 'in-sync', epoch: 1700000000000, seq: 4321, lag: 0, inflightReads: 2, bufferedBytes: 0 },
      {
        id: 2,
        name: 'disk-2',
        address: '127.0.0.1:40002',
        state: 'syncing',
        epoch: 0,
        seq: 0,
        lag: 4321,
        inflightReads: 0,
        bufferedBytes: 0,
        resync: { mode: 'full', source: 'mem-1', keysDone: 250, bytesDone: 2048, totalKeys: 1000, keysPerSec: 100, bytesPerSec: 1024, etaMs: 7500, startedAt: 0 },
      },
    ],
  };

  it('shows epoch, seq, clients, rates and one row per replica', () => {
    const lines = formatStatus(status);
    const text = lines.join('\n');
    expect(text).toMatch(/^epoch\s+1700000000000$/m);
    expect(text).toMatch(/^seq\s+4321$/m);
    expect(text).toMatch(/^clients\s+3$/m);
    expect(text).toMatch(/^router\s+kvndb 0\.1\.0 \(protocol 1\), up 1h 2m 3s$/m);
    expect(text).toContain('reads 1000 (12.3/s), writes 250 (151/s)');
    expect(text).toMatch(/^replicas\s+2 \(1 in sync\)$/m);
    const header = lines.find((l) => l.includes('NAME'))!;
    expect(header.trim().split(/\s+/)).toEqual(['NAME', 'ADDRESS', 'STATE', 'SEQ', 'LAG', 'READS', 'PROGRESS']);
    const mem = lines.find((l) => l.includes('mem-1 '))!;
    expect(mem.trim().split(/\s+/)).toEqual(['mem-1', '127.0.0.1:40001', 'in-sync', '4321', '0', '2', '-']);
    const disk = lines.find((l) => l.includes('disk-2'))!;
    expect(disk).toContain('syncing');
    expect(disk).toContain('full [#####...............] 25% 250/1000 keys 2.0 KiB 1.0 KiB/s ETA 8s from mem-1');
    // Columns line up: every replica row starts its STATE column at the same place.
    expect(mem.indexOf('in-sync')).toBe(disk.indexOf('syncing'));
  });

  it('says why nothing is served: what the router waits for, diverged replicas, a resync with no source', () => {
    const text = formatStatus({
      ...status,
      waitingFor: 'waiting for replicas that hold every acknowledged write: 1 more of a, b',
      replicas: [
        { ...status.replicas[0], name: 'x', state: 'diverged', conflict: 'x is ahead of this router\'s history (epoch 9 seq 99)' },
        { ...status.replicas[1], resync: { ...status.replicas[1].resync!, waitingForSource: true } },
      ],
    }).join('\n');
    expect(text).toMatch(/^NOT SERVING: waiting for replicas that hold every acknowledged write: 1 more of a, b$/m);
    expect(text).toMatch(/^\s+x is out of service: x is ahead of this router's history/m);
    expect(text).toMatch(/disk-2 .*full resync waiting: no replica in sync holds the data to copy from/);
  });

  it('works with no replicas', () => {
    const text = formatStatus({ ...status, replicas: [] }).join('\n');
    expect(text).toMatch(/^replicas\s+0 \(0 in sync\)$/m);
    expect(text).not.toContain('NAME');
  });
});

describe('progressBar', () => {
  it('fills in proportion and stays inside its brackets', () => {
    expect(progressBar(0)).toBe('[....................]');
    expect(progressBar(0.5)).toBe('[##########..........]');
    expect(progressBar(1)).toBe('[####################]');
    expect(progressBar(2)).toBe('[####################]');
    expect(progressBar(-1)).toBe('[....................]');
    expect(progressBar(NaN, 4)).toBe('[....]');
  });
});
