import { IdRing } from './id-ring';

// CommandTable (client) runs the wrap, overflow and deep-pipeline cases on top of this;
// these cover what the other users need: ids handed out by the ring, take, takeWhere.

test('add hands out consecutive ids; get, take and delete find entries by id only', () => {
  const r = new IdRing<string>({ initialSlots: 4 });
  expect([r.add('a'), r.add('b'), r.add('c')]).toEqual([1, 2, 3]);
  expect(r.get(2)).toBe('b');
  for (const id of [0, 4, 2 + 4, -2, 2.5, NaN, 2 ** 40 + 2]) expect(r.get(id)).toBeUndefined();
  expect(r.take(2)).toBe('b');
  expect(r.take(2)).toBeUndefined();
  expect(r.delete(1)).toBe(true);
  expect(r.size).toBe(1);
  expect(r.oldest()).toBe('c');
  expect(r.newestId).toBe(3);
});

test('with maxSlots Infinity a slow entry widens the ring instead of spilling, and stays first', () => {
  const r = new IdRing<number>({ initialSlots: 2, maxSlots: Infinity });
  const slow = r.add(-1);
  for (let i = 0; i < 10_000; i++) r.take(r.add(i));
  expect(r.get(slow)).toBe(-1);
  const later = [r.add(1), r.add(2)];
  expect(r.values()).toEqual([-1, 1, 2]);
  expect(r.take(slow)).toBe(-1);
  expect(r.values()).toEqual([1, 2]);
  expect(later.map((id) => r.get(id))).toEqual([1, 2]);
});

test('takeWhere removes the matching entries oldest first, overflow included; takeAll empties it', () => {
  const r = new IdRing<number>({ initialSlots: 2, maxSlots: 4 });
  for (let i = 1; i <= 10; i++) r.add(i); // the oldest six spill into the overflow map
  expect(r.takeWhere((v) => v % 3 === 0)).toEqual([3, 6, 9]);
  expect(r.size).toBe(7);
  expect(r.get(3)).toBeUndefined();
  expect(r.get(4)).toBe(4);
  expect(r.takeAll()).toEqual([1, 2, 4, 5, 7, 8, 10]);
  expect(r.size).toBe(0);
  expect(r.add(11)).toBe(11);
});

test('a jump far past the window moves the ring entries behind it without walking every id', () => {
  const r = new IdRing<string>();
  r.set(5, 'five');
  r.set(2 ** 40, 'far');
  expect(r.values()).toEqual(['five', 'far']);
  expect(r.get(5)).toBe('five');
  expect(r.oldest()).toBe('five');
});
