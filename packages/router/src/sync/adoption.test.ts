import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { planAdoption, type RememberedHistory } from './adoption';
import { lineage, type EpochStart } from './history';
import { RouterState } from './router-state';

/** Epoch 10 ran to seq 100, epoch 20 from 100 to 250, epoch 30 from 250 on. */
const HISTORY: EpochStart[] = [
  { epoch: 10, afterSeq: -1 },
  { epoch: 20, afterSeq: 100 },
  { epoch: 30, afterSeq: 250 },
];

function joiner(name: string, epoch: number, seq: number, reset = false) {
  return { name, hello: { name, epoch, seq, reset } };
}

/** Memberships given as member lists; each starts 100 seqs after the one before, from 251. */
function remembered(memberships: string[][], floors: Record<string, number> = {}): RememberedHistory {
  return {
    history: HISTORY,
    memberships: memberships.map((members, i) => ({ members, fromSeq: 251 + 100 * i, used: true })),
    floor: (n) => floors[n] ?? 0,
  };
}

describe('lineage', () => {
  test.each([
    [0, 0, undefined, 'empty'],
    [10, 100, undefined, 'prefix'],
    [10, 101, undefined, 'ahead'], // epoch 10 wrote past where epoch 20 took over
    [20, 250, undefined, 'prefix'],
    [20, 251, undefined, 'ahead'],
    [30, 99999, undefined, 'prefix'], // the newest epoch's end is only known to a running router
    [30, 400, 400, 'prefix'],
    [30, 401, 400, 'ahead'],
    [40, 1, undefined, 'ahead'],
    [5, 1, undefined, 'unknown'],
  ])('epoch %i seq %i (router at %s) is %s', (epoch, seq, frontier, expected) => {
    expect(lineage({ epoch, seq }, HISTORY, frontier)).toBe(expected);
  });
});

describe('planAdoption', () => {
  test('majority of three: one member is not enough, two are; the highest seq in the history is the source', () => {
    const m = remembered([['a', 'b', 'c']]);
    expect(planAdoption([joiner('a', 30, 500)], m, 'majority')).toMatchObject({ ready: false, waitingFor: expect.stringMatching(/1 more of a, b, c/) });
    const plan = planAdoption([joiner('a', 30, 500), joiner('c', 30, 620), joiner('x', 20, 200)], m, 'majority');
    expect(plan).toMatchObject({ ready: true, source: { name: 'c' } });
  });

  test('the quorum that must be met follows the write-ack policy', () => {
    const m = remembered([['a', 'b', 'c']]);
    const one = [joiner('a', 30, 500)];
    expect(planAdoption(one, m, 'all').ready).toBe(true);
    expect(planAdoption([...one, joiner('b', 30, 500)], m, 'one').ready).toBe(false);
    expect(planAdoption([...one, joiner('b', 30, 500), joiner('c', 30, 400)], m, 'one').ready).toBe(true);
  });

  test('members that are empty, reset, below their floor or outside the history are not counted', () => {
    const m = remembered([['a', 'b']], { a: 300, b: 300 });
    for (const j of [joiner('a', 0, 0), joiner('a', 30, 500, true), joiner('a', 30, 299), joiner('a', 10, 150)]) {
      const plan = planAdoption([j], m, 'majority');
      expect(plan.ready).toBe(false);
    }
    expect(planAdoption([joiner('a', 30, 300)], m, 'majority').ready).toBe(true);
  });

  test('every remembered membership must be covered: the newest acknowledged write may be under any of them', () => {
    const m = remembered([['a', 'b', 'c'], ['b', 'c']]); // {b, c} from seq 351
    // c alone covers {b, c} (majority of 2 needs both acks, so any one holds them), and
    // {a, b, c} only if it holds every write sequenced under it (up to 350).
    expect(planAdoption([joiner('c', 30, 349)], m, 'majority').ready).toBe(false);
    expect(planAdoption([joiner('c', 30, 350)], m, 'majority')).toMatchObject({ ready: true, source: { name: 'c' } });
    expect(planAdoption([joiner('c', 30, 349), joiner('a', 30, 300)], m, 'majority')).toMatchObject({ ready: true, source: { name: 'c' } });
  });

  test('a router that remembers nothing adopts the best joiner, preferring one with data', () => {
    const none: RememberedHistory = { history: [], memberships: [], floor: () => 0 };
    const plan = planAdoption([joiner('empty', 0, 0), joiner('reset', 9, 900, true), joiner('data', 3, 7)], none, 'majority');
    expect(plan).toMatchObject({ ready: true, source: { name: 'data' } });
  });
});

describe('RouterState', () => {
  function file(): string {
    return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kvndb-state-')), 'router.state.json');
  }

  test('epochs, memberships and floors survive a reopen; older memberships go once a newer one acknowledged a write', () => {
    const f = file();
    const s = RouterState.open(f);
    expect(s.loaded).toBe(false);
    s.startEpoch({ epoch: 50, afterSeq: 10 }, ['a', 'b', 'c'], { a: 10, b: 10, c: 10 }, { epoch: 7, afterSeq: -1 });
    s.markNewestUsed();
    s.membershipChanged(['b', 'c'], 20);
    s.markNewestUsed();
    let again = RouterState.open(f);
    expect(again.loaded).toBe(true);
    expect(again.history).toEqual([
      { epoch: 7, afterSeq: -1 },
      { epoch: 50, afterSeq: 10 },
    ]);
    expect(again.memberships).toEqual([
      { members: ['a', 'b', 'c'], fromSeq: 11, used: true },
      { members: ['b', 'c'], fromSeq: 20, used: true },
    ]);
    s.settle(19, [['b', 15]]); // nothing acknowledged under {b, c} yet
    expect(RouterState.open(f).memberships).toHaveLength(2);
    s.settle(20, [['b', 21], ['c', 20]]);
    again = RouterState.open(f);
    expect(again.memberships).toEqual([{ members: ['b', 'c'], fromSeq: 20, used: true }]);
    expect(again.floor('b')).toBe(21);
    expect(again.floor('a')).toBe(0); // no longer a member: forgotten
  });

  test('an empty in-sync set is not recorded, and one no write was sequenced under is replaced: they acknowledged nothing', () => {
    const s = RouterState.open(file());
    s.startEpoch({ epoch: 1, afterSeq: 0 }, ['a', 'b'], { a: 0, b: 0 });
    s.markNewestUsed();
    s.membershipChanged([], 5);
    s.membershipChanged(['a'], 5); // b left at a shutdown: nothing sequenced under {a} ...
    s.membershipChanged(['b'], 5); // ... nor under {b}
    expect(s.memberships).toEqual([
      { members: ['a', 'b'], fromSeq: 1, used: true },
      { members: ['b'], fromSeq: 5, used: false },
    ]);
  });
});

describe('planAdoption with unused memberships', () => {
  const history: EpochStart[] = [{ epoch: 30, afterSeq: 250 }];
  test('a membership nothing was sequenced under needs no quorum; with none used, a joiner must hold the epoch start', () => {
    const unusedOnly: RememberedHistory = { history, memberships: [{ members: ['a'], fromSeq: 251, used: false }], floor: () => 0 };
    expect(planAdoption([joiner('b', 30, 249)], unusedOnly, 'majority')).toMatchObject({ ready: false, waitingFor: expect.stringMatching(/seq 250/) });
    expect(planAdoption([joiner('b', 30, 250)], unusedOnly, 'majority')).toMatchObject({ ready: true, source: { name: 'b' } });
    const afterUse: RememberedHistory = {
      history,
      memberships: [
        { members: ['a', 'b'], fromSeq: 251, used: true },
        { members: ['b'], fromSeq: 300, used: false },
      ],
      floor: () => 0,
    };
    // Under write-ack one, b alone is no quorum of {a, b}, but at 299 it holds all that set sequenced.
    expect(planAdoption([joiner('b', 30, 299)], afterUse, 'one')).toMatchObject({ ready: true, source: { name: 'b' } });
    expect(planAdoption([joiner('b', 30, 298)], afterUse, 'one').ready).toBe(false);
  });
});
