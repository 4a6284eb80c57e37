import { ExpireCond, type WriteOp, type WriteResult } from '@kvndb/shared';
import { formatNotifyFlags, keyEvents, Notify, parseNotifyFlags } from './keyspace-events';

const T = 1_700_000_000_000;
const v = (s: string): Buffer => Buffer.from(s);
const names = (ops: WriteOp[], results: WriteResult[]): string[] => keyEvents(ops, results, T).map((e) => `${e.event} ${e.key}`);

describe('notify-keyspace-events flags', () => {
  test("Redis's letters and CONFIG GET form (checked against redis-server)", () => {
    expect(formatNotifyFlags(parseNotifyFlags('KEA') as number)).toBe('AKE');
    expect(formatNotifyFlags(parseNotifyFlags('Ex') as number)).toBe('xE');
    expect(formatNotifyFlags(parseNotifyFlags('KA') as number)).toBe('AK');
    expect(formatNotifyFlags(parseNotifyFlags('gx$K') as number)).toBe('g$xK');
    expect(formatNotifyFlags(parseNotifyFlags('') as number)).toBe('');
    expect(parseNotifyFlags('KEQ')).toEqual({ error: "Invalid event class character. Use 'Ag$lshzxeKEtmdn'." });
  });

  test('n and m are refused with the reason, not accepted and never fired', () => {
    expect((parseNotifyFlags('KEn') as { error: string }).error).toMatch(/'new' key events/);
    expect((parseNotifyFlags('KEm') as { error: string }).error).toMatch(/key-miss/);
  });

  test('classes: set is a string event, del a generic one, expired its own', () => {
    const [set, expire, expired] = keyEvents([['s', 'k', v('1'), { px: 1000 }]], [true], T);
    expect(set.type).toBe(Notify.STRING);
    expect(expire.type).toBe(Notify.GENERIC);
    expect(expired).toBeUndefined();
    expect(keyEvents([['x', 10]], [[['a'], 0]], T)[0].type).toBe(Notify.EXPIRED);
  });
});

describe('the events of a write, as redis-server fires them', () => {
  test('SET, SET EX, SETEX/PSETEX, SET KEEPTTL, SET PXAT in the past', () => {
    expect(names([['s', 'k', v('v')]], [true])).toEqual(['set k']);
    expect(names([['s', 'k', v('v'), { px: 100_000 }]], [true])).toEqual(['set k', 'expire k']);
    expect(names([['s', 'k', v('v'), { keep: true }]], [true])).toEqual(['set k']);
    expect(names([['s', 'k', v('v'), { at: 1 }]], [true])).toEqual(['set k', 'expire k', 'expired k']);
  });

  test('a SET that did not apply (NX on an existing key, a failed version) fires nothing; SET GET fires set', () => {
    expect(names([['s', 'k', v('v'), { nx: true }]], [false])).toEqual([]);
    expect(names([['s', 'k', v('v'), { get: true }]], [[true, v('old')]])).toEqual(['set k']);
    expect(names([['s', 'k', v('v'), { get: true, xx: true }]], [[false, null]])).toEqual([]);
  });

  test('MSET: set per key in order; DEL: del per key that existed', () => {
    expect(names([['s', 'm1', v('1')], ['s', 'm2', v('2')]], [true, true])).toEqual(['set m1', 'set m2']);
    expect(names([['d', 'm1'], ['d', 'm2'], ['d', 'nosuch']], [true, true, false])).toEqual(['del m1', 'del m2']);
  });

  test('INCR/DECR/INCRBY: incrby; INCRBYFLOAT, APPEND, SETRANGE; an OpError fires nothing', () => {
    expect(names([['i', 'n', '1']], [2])).toEqual(['incrby n']);
    expect(names([['i', 'n', '-1']], [1])).toEqual(['incrby n']);
    expect(names([['i', 'n', '1']], [{ error: 'NOT_A_NUMBER', message: 'x' }])).toEqual([]);
    expect(names([['f', 'n', '1.5']], ['7.5'])).toEqual(['incrbyfloat n']);
    expect(names([['a', 'n', v('x')]], [4])).toEqual(['append n']);
    expect(names([['r', 'n', 0, v('z')]], [4])).toEqual(['setrange n']);
    expect(names([['r', 'n', 0, v('')]], [4])).toEqual([]);
  });

  test('EXPIRE: expire, or del for a time already past; PERSIST: persist when there was an expiry', () => {
    expect(names([['e', 'n', 100_000, null, ExpireCond.NONE]], [true])).toEqual(['expire n']);
    expect(names([['e', 'n', null, 1, ExpireCond.NONE]], [true])).toEqual(['del n']);
    expect(names([['e', 'n', 100_000, null, ExpireCond.NX]], [false])).toEqual([]);
    expect(names([['e', 'n', null, null, ExpireCond.NONE]], [true])).toEqual(['persist n']);
    expect(names([['e', 'n', null, null, ExpireCond.NONE]], [false])).toEqual([]);
  });

  test('GETDEL: del; GETEX EX: expire, PXAT past: del, PERSIST: persist; a missing key: nothing', () => {
    expect(names([['gd', 'c']], [v('1')])).toEqual(['del c']);
    expect(names([['gd', 'c']], [null])).toEqual([]);
    expect(names([['gx', 'g', 100_000, null, false]], [v('1')])).toEqual(['expire g']);
    expect(names([['gx', 'g', null, 1, false]], [v('1')])).toEqual(['del g']);
    expect(names([['gx', 'g', null, null, true]], [v('1')])).toEqual(['persist g']);
    expect(names([['gx', 'g', null, null, false]], [v('1')])).toEqual([]);
    expect(names([['gx', 'g', 100_000, null, false]], [null])).toEqual([]);
  });

  test('RENAME: rename_from, rename_to; onto itself: nothing; COPY: copy_to; a failed one: nothing', () => {
    expect(names([['m', 'a', 'b', {}]], [true])).toEqual(['rename_from a', 'rename_to b']);
    expect(names([['m', 'b', 'b', {}]], [true])).toEqual([]);
    expect(names([['m', 'b', 'c', { copy: true }]], [true])).toEqual(['copy_to c']);
    expect(names([['m', 'b', 'c', { copy: true, nx: true }]], [false])).toEqual([]);
    expect(names([['m', 'x', 'y', {}]], [{ error: 'NO_SUCH_KEY', message: 'no such key' }])).toEqual([]);
  });

  test('the expiry sweep: expired per key removed; FLUSHALL: nothing (as Redis)', () => {
    expect(names([['x', 100]], [[['e1', 'e2'], 0]])).toEqual(['expired e1', 'expired e2']);
    expect(names([['F']], [true])).toEqual([]);
  });

  test("a transaction (EXEC): the events of the branch taken, in order; reads fire nothing", () => {
    const ops: WriteOp[] = [['t', [], [['s', 'a', v('1')], ['G', 'a'], ['i', 'n', '1']], [['d', 'a']]]];
    expect(names(ops, [[true, [true, v('1'), 3]]])).toEqual(['set a', 'incrby n']);
    expect(names(ops, [[false, [true]]])).toEqual(['del a']);
  });

  test('an op this file does not know (another type) is skipped', () => {
    expect(names([['lpush', 'q', v('1')] as unknown as WriteOp], [1])).toEqual([]);
  });
});
