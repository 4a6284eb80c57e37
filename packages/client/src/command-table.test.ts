import { Op } from '@kvndb/shared';
import { Command } from './command-queue';
import { CommandTable } from './command-table';

function cmd(id: number): Command {
  return new Command(id, Op.GET, (v) => v, Buffer.alloc(0), true, 0);
}

/** Adds commands for ids from..to (inclusive) and returns them. */
function addRange(t: CommandTable, from: number, to: number): Command[] {
  const out: Command[] = [];
  for (let id = from; id <= to; id++) {
    const c = cmd(id);
    t.add(c);
    out.push(c);
  }
  return out;
}

const ids = (list: Command[]) => list.map((c) => c.id);

test('finds commands by id and forgets them once deleted', () => {
  const t = new CommandTable();
  const [a, b, c] = addRange(t, 1, 3);
  expect(t.size).toBe(3);
  expect(t.get(2)).toBe(b);
  expect(t.has(3)).toBe(true);
  t.delete(b);
  expect(t.get(2)).toBeUndefined();
  expect(t.size).toBe(2);
  expect(t.values()).toEqual([a, c]);
  expect(t.oldest()).toBe(a);
  t.delete(a);
  expect(t.oldest()).toBe(c);
  // ids nobody was given, and things that are not ids
  for (const id of [0, 4, 3 + 256, -3, 3.5, NaN, 2 ** 40 + 3]) expect(t.get(id)).toBeUndefined();
});

test('an old command outlives its slot: the ring grows, then the command moves to overflow', () => {
  const t = new CommandTable();
  const slow = cmd(1);
  t.add(slow);
  // Far more requests than the ring ever holds go by, each answered at once.
  let lost = 0;
  for (let id = 2; id <= 200_000; id++) {
    const c = cmd(id);
    t.add(c);
    if (t.get(id) !== c) lost++;
    t.delete(c);
  }
  expect(lost).toBe(0);
  expect(t.get(1)).toBe(slow);
  expect(t.size).toBe(1);
  expect(t.oldest()).toBe(slow);
  const later = addRange(t, 200_001, 200_003);
  expect(t.values()).toEqual([slow, ...later]);
  t.delete(slow);
  expect(t.get(1)).toBeUndefined();
  expect(t.oldest()).toBe(later[0]);
});

test('a deep pipeline keeps every command, in creation order', () => {
  const t = new CommandTable();
  const all = addRange(t, 1, 100_000); // more than the ring's largest size
  expect(t.size).toBe(100_000);
  expect(all.every((c) => t.get(c.id) === c)).toBe(true);
  const values = t.values();
  expect(values.length === all.length && values.every((c, i) => c === all[i])).toBe(true);
  // oldest() walks forward as the oldest are answered, in any order after that
  let wrong = 0;
  for (let i = 0; i < 99_990; i++) {
    if (t.oldest() !== all[i]) wrong++;
    t.delete(all[i]);
  }
  expect(wrong).toBe(0);
  t.delete(all[99_995]);
  expect(ids(t.values())).toEqual([99_991, 99_992, 99_993, 99_994, 99_995, 99_997, 99_998, 99_999, 100_000]);
});

test('wrap() moves the ring behind the next ids; skipped ids move the window', () => {
  const t = new CommandTable();
  const before = addRange(t, 0x7fffffff - 300, 0x7fffffff);
  for (const c of before.slice(10, 250)) t.delete(c);
  t.wrap();
  const after = addRange(t, 1, 5);
  // id 6 was still in use before the wrap and is skipped: the next one added is 7
  const seven = cmd(7);
  t.add(seven);
  const kept = [...before.slice(0, 10), ...before.slice(250)];
  expect(t.values()).toEqual([...kept, ...after, seven]);
  expect(t.oldest()).toBe(kept[0]);
  for (const c of [...kept, ...after, seven]) expect(t.get(c.id)).toBe(c);
  expect(t.size).toBe(kept.length + 6);
});

test('clear() empties it', () => {
  const t = new CommandTable();
  t.add(cmd(1));
  for (let id = 2; id <= 70_000; id++) t.add(cmd(id));
  t.clear();
  expect(t.size).toBe(0);
  expect(t.values()).toEqual([]);
  expect(t.oldest()).toBeUndefined();
  expect(t.get(1)).toBeUndefined();
});
