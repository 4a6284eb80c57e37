import { Op, encodeFrame, type WriteOp } from '@kvndb/shared';
import { WriteBacklog } from '../writes/write-backlog';
import { slimResults } from './change-events';
import { ChangeHistory } from './change-history';

const EPOCH = 7;

function write(backlog: WriteBacklog, history: ChangeHistory | null, seq: number, key: string, observe = true): void {
  const ops: WriteOp[] = [['s', key, Buffer.from(`v${seq}`)]];
  backlog.append(seq, encodeFrame([Op.WRITE, EPOCH, seq, ops, 1000 + seq]));
  if (observe && history) history.record(seq, slimResults(ops, [true]));
}

describe('ChangeHistory', () => {
  test('rebuilds each held write\'s changes from the backlog frame and the recorded results', () => {
    const backlog = new WriteBacklog(1 << 20);
    backlog.reset(100);
    const h = new ChangeHistory(backlog);
    expect(h.floor).toBe(100);
    // The epoch marker (101) is never observed; 102..104 are.
    backlog.append(101, encodeFrame([Op.WRITE, EPOCH, 101, [], 1]));
    for (let s = 102; s <= 104; s++) write(backlog, h, s, `k${s}`);
    expect(h.floor).toBe(100);
    expect(h.lastSeq).toBe(104);
    expect(h.write(101)).toEqual({ epoch: 0, seq: 101, changes: [] });
    const w = h.write(103)!;
    expect(w.epoch).toBe(EPOCH);
    expect(w.changes.map(([t, k, v]) => [t, k, Buffer.from(v!).toString()])).toEqual([['set', 'k103', 'v103']]);
    expect(h.write(100)).toBeUndefined();
    expect(h.write(105)).toBeUndefined();
  });

  test('its floor follows the backlog: results of evicted frames are dropped', () => {
    const backlog = new WriteBacklog(2000);
    backlog.reset(0);
    const h = new ChangeHistory(backlog);
    for (let s = 1; s <= 500; s++) write(backlog, h, s, 'key');
    expect(backlog.firstSeq).toBeGreaterThan(1);
    expect(h.floor).toBe(backlog.firstSeq - 1);
    expect(h.write(h.floor)).toBeUndefined();
    expect(h.write(h.floor + 1)?.changes).toHaveLength(1);
    expect(h.write(500)?.changes).toHaveLength(1);
  });

  test('an unobserved write is a hole with no changes; a lower seq starts a new history', () => {
    const backlog = new WriteBacklog(1 << 20);
    backlog.reset(0);
    const h = new ChangeHistory(backlog);
    write(backlog, h, 1, 'a');
    write(backlog, h, 2, 'b', false);
    write(backlog, h, 3, 'c');
    expect(h.write(2)?.changes).toEqual([]);
    expect(h.write(3)?.changes).toHaveLength(1);
    // A new epoch after seq 1 (the router adopted a replica lacking 2 and 3).
    backlog.reset(1);
    h.restart();
    expect(h.floor).toBe(1);
    write(backlog, h, 2, 'z');
    expect(h.lastSeq).toBe(2);
    expect(h.write(2)?.changes[0][1]).toBe('z');
  });
});
