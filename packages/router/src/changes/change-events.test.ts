import { ExpireCond, type WriteOp, type WriteResult } from '@kvndb/shared';
import { ALL_TRUE, changesOf, slimResults } from './change-events';

const b = (s: string) => Buffer.from(s);
const T = 1_000_000;

/** The changes of a write, from full results and from slimmed ones alike. */
function both(ops: WriteOp[], results: WriteResult[]) {
  const full = changesOf(ops, results, T).map(([t, k, v]) => [t, k, v === null ? null : Buffer.from(v).toString()]);
  const slim = changesOf(ops, slimResults(ops, results), T).map(([t, k, v]) => [t, k, v === null ? null : Buffer.from(v).toString()]);
  expect(slim).toEqual(full);
  return full;
}

describe('changesOf', () => {
  test('SET applied gives set with the value; not applied gives nothing; an expiry in the past gives del', () => {
    expect(both([['s', 'k', b('v')]], [true])).toEqual([['set', 'k', 'v']]);
    expect(both([['s', 'k', b('v'), { nx: true }]], [false])).toEqual([]);
    expect(both([['s', 'k', b('v'), { get: true }]], [[true, b('old')]])).toEqual([['set', 'k', 'v']]);
    expect(both([['s', 'k', b('v'), { get: true }]], [[false, null]])).toEqual([]);
    expect(both([['s', 'k', b('v'), { at: T - 1 }]], [true])).toEqual([['del', 'k', null]]);
    expect(both([['s', 'k', b('v'), { at: T + 1 }]], [true])).toEqual([['set', 'k', 'v']]);
  });

  test('list ops give list when they changed a list, del when a pop took its last item, and slimming keeps no popped value', () => {
    expect(both([['L', 'q', [b('a'), b('b')], false, false]], [2])).toEqual([['list', 'q', null]]);
    expect(both([['L', 'q', [b('a')], false, true]], [0])).toEqual([]); // onlyIfList on no list
    expect(both([['P', ['q', 'r'], 1, true]], [['r', [b('x')], 3]])).toEqual([['list', 'r', null]]);
    expect(both([['P', ['q'], 2, true]], [['q', [b('x'), b('y')], 0]])).toEqual([['del', 'q', null]]);
    expect(both([['P', ['q'], 1, true]], [null])).toEqual([]);
    expect(both([['lr', 'q', 0, b('x')], ['lr', 'q', 0, b('zz')]], [2, 0])).toEqual([['list', 'q', null]]);
    expect(both([['lt', 'q', 0, 1], ['ls', 'q', 0, b('v')]], [true, true])).toEqual([['list', 'q', null], ['list', 'q', null]]);
    expect(both([['lm', 'a', 'b', true, false], ['lm', 'c', 'd', true, true]], [b('v'), null])).toEqual([['list', 'a', null], ['list', 'b', null]]);
    expect(both([['L', 's', [b('a')], false, false]], [{ error: 'WRONG_TYPE', message: 'no' }])).toEqual([]);
    const slim = slimResults([['P', ['q'], 1, true]] as WriteOp[], [['q', [b('held')], 4]]);
    expect(slim).toEqual([['q', 1, 4]]);
  });

  test('DEL and GETDEL give del only when something was removed', () => {
    expect(both([['d', 'a'], ['d', 'b']], [true, false])).toEqual([['del', 'a', null]]);
    expect(both([['gd', 'a'], ['gd', 'b']], [b('x'), null])).toEqual([['del', 'a', null]]);
  });

  test('counters give set with the new value; an op error gives nothing', () => {
    expect(both([['i', 'n', '5']], [7])).toEqual([['set', 'n', '7']]);
    expect(both([['i', 'n', '5']], ['9007199254740993'])).toEqual([['set', 'n', '9007199254740993']]);
    expect(both([['f', 'x', '0.5']], ['1.5'])).toEqual([['set', 'x', '1.5']]);
    expect(both([['i', 'n', '1']], [{ error: 'NOT_A_NUMBER', message: 'no' }])).toEqual([]);
  });

  test('APPEND and SETRANGE give set without a value; an empty SETRANGE nothing', () => {
    expect(both([['a', 'k', b('xy')]], [5])).toEqual([['set', 'k', null]]);
    expect(both([['a', 'k', b('xy'), 3]], [{ error: 'TOO_LARGE', message: 'long' }])).toEqual([]);
    expect(both([['r', 'k', 2, b('z')]], [3])).toEqual([['set', 'k', null]]);
    expect(both([['r', 'k', 2, b('')]], [0])).toEqual([]);
  });

  test('EXPIRE, PERSIST and GETEX give ttl (del for an expiry in the past)', () => {
    expect(both([['e', 'k', 1000, null, ExpireCond.NONE]], [true])).toEqual([['ttl', 'k', null]]);
    expect(both([['e', 'k', null, T - 5, ExpireCond.NONE]], [true])).toEqual([['del', 'k', null]]);
    expect(both([['e', 'k', null, null, ExpireCond.NONE]], [true])).toEqual([['ttl', 'k', null]]);
    expect(both([['e', 'k', 1000, null, ExpireCond.NX]], [false])).toEqual([]);
    expect(both([['gx', 'k', 1000, null, false]], [b('v')])).toEqual([['ttl', 'k', null]]);
    expect(both([['gx', 'k', null, null, true]], [b('v')])).toEqual([['ttl', 'k', null]]);
    expect(both([['gx', 'k', null, null, false]], [b('v')])).toEqual([]);
    expect(both([['gx', 'k', 1000, null, false]], [null])).toEqual([]);
  });

  test('RENAME gives set of the target and del of the source; COPY only the set', () => {
    expect(both([['m', 'a', 'b', {}]], [true])).toEqual([['set', 'b', null], ['del', 'a', null]]);
    expect(both([['m', 'a', 'b', { copy: true }]], [true])).toEqual([['set', 'b', null]]);
    expect(both([['m', 'a', 'a', {}]], [true])).toEqual([]);
    expect(both([['m', 'a', 'b', { nx: true }]], [false])).toEqual([]);
  });

  test('FLUSHALL gives one flush; a sweep gives expire per removed key', () => {
    expect(both([['F']], [true])).toEqual([['flush', '', null]]);
    expect(both([['x', 500]], [[['k1', 'k2'], 0]])).toEqual([['expire', 'k1', null], ['expire', 'k2', null]]);
  });

  test('a transaction gives the changes of the branch that ran, its reads none', () => {
    const op: WriteOp = ['t', [['e', 'k', true]], [['s', 'a', b('1')], ['G', 'a'], ['d', 'b']], [['s', 'c', b('2')]]];
    expect(both([op], [[true, [true, b('1'), true]]])).toEqual([['set', 'a', '1'], ['del', 'b', null]]);
    expect(both([op], [[false, [true]]])).toEqual([['set', 'c', '2']]);
  });

  test('ops it does not know make no change event', () => {
    expect(both([['zz', 'k'] as unknown as WriteOp, ['s', 'a', b('1')]], [3, true])).toEqual([['set', 'a', '1']]);
  });
});

describe('slimResults', () => {
  test('all-true results share one constant; values and op errors are dropped', () => {
    expect(slimResults([['s', 'a', b('1')], ['d', 'b']], [true, true])).toBe(ALL_TRUE);
    const slim = slimResults([['gd', 'a'], ['i', 'n', '1'], ['s', 'k', b('v'), { get: true }]], [b('big value'), { error: 'X', message: 'y' }, [true, b('old')]]);
    expect(slim).toEqual([true, false, true]);
  });
});
