import * as R from './resp-encoder';

const s = (b: Buffer): string => b.toString('latin1');

describe('resp-encoder: RESP2 and RESP3', () => {
  test('nil: $-1 in RESP2, _ in RESP3, also inside arrays', () => {
    expect(s(R.nil(2))).toBe('$-1\r\n');
    expect(s(R.nil(3))).toBe('_\r\n');
    expect(s(R.bulkOrNil(null, 3))).toBe('_\r\n');
    expect(s(R.bulkOrNil('v', 3))).toBe('$1\r\nv\r\n');
    expect(s(R.array(['a', null, 7], 2))).toBe('*3\r\n$1\r\na\r\n$-1\r\n:7\r\n');
    expect(s(R.array(['a', null, 7], 3))).toBe('*3\r\n$1\r\na\r\n_\r\n:7\r\n');
  });

  test('maps: % in RESP3, a flat array of pairs in RESP2; nested values follow the protocol', () => {
    const pairs: Array<[R.Reply, R.Reply]> = [['a', 1], ['b', null], ['c', []]];
    expect(s(R.map(pairs, 3))).toBe('%3\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n_\r\n$1\r\nc\r\n*0\r\n');
    expect(s(R.map(pairs, 2))).toBe('*6\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$-1\r\n$1\r\nc\r\n*0\r\n');
    expect(s(R.map([], 3))).toBe('%0\r\n');
  });

  test('doubles: , in RESP3, a bulk string in RESP2, with Redis spelling of inf and nan', () => {
    expect(s(R.double(1.5, 3))).toBe(',1.5\r\n');
    expect(s(R.double(1.5, 2))).toBe('$3\r\n1.5\r\n');
    expect(s(R.double(-Infinity, 3))).toBe(',-inf\r\n');
    expect(s(R.double(Infinity, 2))).toBe('$3\r\ninf\r\n');
    expect(s(R.double(NaN, 3))).toBe(',nan\r\n');
  });

  test('verbatim text: = with the txt format in RESP3, a bulk string in RESP2; length in bytes', () => {
    expect(s(R.verbatim('é\n', 3))).toBe('=7\r\ntxt:\xc3\xa9\n\r\n');
    expect(s(R.verbatim('hi', 2))).toBe('$2\r\nhi\r\n');
  });

  test("push frames: > in RESP3, a plain array in RESP2 (Redis's pub/sub messages, bytes as given)", () => {
    const ch = Buffer.from([0xff, 0x00]);
    expect(s(R.push(['message', ch, 'hi'], 3))).toBe('>3\r\n$7\r\nmessage\r\n$2\r\n\xff\x00\r\n$2\r\nhi\r\n');
    expect(s(R.push(['message', ch, 'hi'], 2))).toBe('*3\r\n$7\r\nmessage\r\n$2\r\n\xff\x00\r\n$2\r\nhi\r\n');
    expect(s(R.push(['unsubscribe', null, 0], 3))).toBe('>3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n');
    expect(s(R.push(['unsubscribe', null, 0], 2))).toBe('*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n');
  });
});
