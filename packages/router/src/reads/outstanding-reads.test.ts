/**
 * The reads outstanding on a replica link, as ReplicaLink keeps them: an IdRing without a
 * slot limit (ids in order, answers in about that order, anything a replica sends looked up
 * safely).
 */
import { IdRing } from '@kvndb/shared';
import { ReadRequest } from './read-request';

const window = () => new IdRing<ReadRequest>({ maxSlots: Infinity });

const sink = { reply: () => {} };
const req = (deadline = 0) => new ReadRequest([21, 0, 'k'], sink, 0, deadline);

test('ids start at 1 and answers in any order find their read exactly once', () => {
  const w = window();
  const reqs = [req(), req(), req(), req()];
  const ids = reqs.map((r) => w.add(r));
  expect(ids).toEqual([1, 2, 3, 4]);
  expect(w.take(3)).toBe(reqs[2]);
  expect(w.take(3)).toBeUndefined();
  expect(w.take(1)).toBe(reqs[0]);
  expect(w.size).toBe(2);
  expect(w.take(4)).toBe(reqs[3]);
  expect(w.take(2)).toBe(reqs[1]);
  expect(w.size).toBe(0);
  // ids keep increasing after the window emptied
  expect(w.add(req())).toBe(5);
});

test('ids a replica could make up never match', () => {
  const w = window();
  const r = req();
  w.add(r);
  for (const bogus of [0, -1, 2, 1.5, '1', null, undefined, NaN, Infinity]) expect(w.take(bogus as number)).toBeUndefined();
  expect(w.take(1)).toBe(r);
});

test('stays at its first size over a long in-order run and keeps a slow read reachable', () => {
  const w = window();
  const slow = req();
  const slowId = w.add(slow);
  for (let i = 0; i < 100_000; i++) {
    const r = req();
    expect(w.take(w.add(r))).toBe(r);
  }
  expect(w.size).toBe(1);
  expect(w.take(slowId)).toBe(slow);
  const big = window();
  for (let i = 0; i < 5000; i++) big.take(big.add(req()));
  expect((big as unknown as { items: unknown[] }).items.length).toBe(256);
});

test('takeWhere removes expired reads only; takeAll empties the window oldest first', () => {
  const w = window();
  const reqs = [req(10), req(50), req(20), req(60)];
  const ids = reqs.map((r) => w.add(r));
  const expired = w.takeWhere((r) => r.deadline <= 30);
  expect(expired).toEqual([reqs[0], reqs[2]]);
  expect(w.take(ids[0])).toBeUndefined();
  expect(w.size).toBe(2);
  expect(w.takeAll()).toEqual([reqs[1], reqs[3]]);
  expect(w.size).toBe(0);
  expect(w.take(ids[1])).toBeUndefined();
  expect(w.add(req())).toBe(5);
});
