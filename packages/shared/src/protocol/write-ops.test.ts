import type { WriteOp } from './types';
import { forEachWrittenKey } from './write-ops';

function keys(ops: WriteOp[]): string[] | null {
  const out: string[] = [];
  return forEachWrittenKey(ops, (k) => out.push(k)) ? out : null;
}

describe('forEachWrittenKey', () => {
  it('names the keys each op may change', () => {
    const v = Buffer.from('x');
    expect(keys([['s', 'a', v], ['d', 'b'], ['i', 'c', '1'], ['f', 'd', '1.5'], ['a', 'e', v], ['r', 'f', 0, v]])).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(keys([['e', 'a', 10, null, 0], ['gd', 'b'], ['gx', 'c', null, null, true]])).toEqual(['a', 'b', 'c']);
    expect(keys([['m', 'from', 'to', {}], ['lm', 'l1', 'l2', true, false]])).toEqual(['from', 'to', 'l1', 'l2']);
    expect(keys([['L', 'l', [v], true, false], ['P', ['p1', 'p2'], 1, true], ['lr', 'a', 0, v], ['lt', 'b', 0, 1], ['ls', 'c', 0, v]])).toEqual([
      'l', 'p1', 'p2', 'a', 'b', 'c',
    ]);
  });

  it('reads inside a transaction change nothing; its writes in either branch are named', () => {
    expect(keys([['t', [['e', 'w', true]], [['G', 'r'], ['s', 'then', Buffer.from('1')]], [['V', 'r2'], ['H', 'r3'], ['d', 'else']]]])).toEqual(['then', 'else']);
  });

  it('says any key may change for a flush, a sweep, or an op it does not know', () => {
    expect(keys([['s', 'a', Buffer.from('1')], ['F']])).toBeNull();
    expect(keys([['x', 100]])).toBeNull();
    expect(keys([['??', 'a'] as unknown as WriteOp])).toBeNull();
    expect(keys([['t', [], [['F']], []]])).toBeNull();
  });
});
