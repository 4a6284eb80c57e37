import { Answer, type KvndbError, type WriteOp } from '@kvndb/shared';
import { RouterClock } from '../router-clock';
import type { ReplySink } from '../requests/reply-sink';
import { ExpirySweeper, SWEEP_LIMIT } from './expiry-sweeper';
import type { WriteSequencer } from './write-sequencer';

/** A sequencer that records the sweeps it is given and lets the test answer them. */
class FakeSequencer {
  sweeps: Array<{ ops: WriteOp[]; sink: ReplySink }> = [];
  sequence(ops: WriteOp[], _live: unknown, _ids: unknown, shape: Answer, sink: ReplySink): number {
    expect(shape).toBe(Answer.First);
    this.sweeps.push({ ops, sink });
    return this.sweeps.length;
  }
  answer(keys: string[], next: number, err: KvndbError | null = null): void {
    const s = this.sweeps.shift()!;
    s.sink.reply(0, err, [keys, next]);
  }
}

function setup(inSync = [1]) {
  let now = 1_000_000;
  const clock = new RouterClock(() => now);
  const seq = new FakeSequencer();
  const targets = { live: [], inSyncIds: inSync };
  const sweeper = new ExpirySweeper(seq as unknown as WriteSequencer, targets, clock);
  return { sweeper, seq, advance: (ms: number) => (now += ms), targets };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test('no sweep until some key may expire; then one at that time, not before', () => {
  const { sweeper, seq } = setup();
  sweeper.start();
  jest.advanceTimersByTime(10_000);
  expect(seq.sweeps).toHaveLength(0);
  sweeper.noteWrite([['s', 'k', Buffer.from('v'), { px: 500 }]], 1_000_000);
  jest.advanceTimersByTime(499);
  expect(seq.sweeps).toHaveLength(0);
  jest.advanceTimersByTime(1);
  expect(seq.sweeps).toHaveLength(1);
  expect(seq.sweeps[0].ops).toEqual([['x', SWEEP_LIMIT]]);
});

test('a joining replica\'s earliest expiry schedules a sweep; writes without expiry do not', () => {
  const { sweeper, seq, advance } = setup();
  sweeper.start();
  sweeper.noteWrite([['s', 'k', Buffer.from('v')], ['d', 'x'], ['i', 'c', '1']], 1_000_000);
  sweeper.expiryKnown(1_000_200);
  advance(200);
  jest.advanceTimersByTime(200);
  expect(seq.sweeps).toHaveLength(1);
});

test('one sweep at a time: a full one is followed at once, then the earliest expiry left', () => {
  // The fake answers as a store would: each sweep reports the earliest expiry left in it.
  const { sweeper, seq, advance } = setup();
  sweeper.start();
  sweeper.expiryKnown(1_000_000);
  jest.advanceTimersByTime(0);
  expect(seq.sweeps).toHaveLength(1);
  // An expiry noted while the sweep is in flight is kept for after it.
  sweeper.noteWrite([['e', 'k', 5_000, null, 0]], 1_000_000);
  jest.advanceTimersByTime(100);
  expect(seq.sweeps).toHaveLength(1);
  seq.answer(Array.from({ length: SWEEP_LIMIT }, (_, i) => `k${i}`), 1_000_000);
  jest.advanceTimersByTime(0);
  expect(seq.sweeps).toHaveLength(1);
  seq.answer(['last'], 1_003_000);
  expect(sweeper.removed).toBe(SWEEP_LIMIT + 1);
  advance(2_999);
  jest.advanceTimersByTime(2_999);
  expect(seq.sweeps).toHaveLength(0);
  advance(1);
  jest.advanceTimersByTime(1);
  expect(seq.sweeps).toHaveLength(1);
  // The store still holds the key written during the first sweep (expiry at +5000).
  seq.answer([], 1_005_000);
  advance(1_999);
  jest.advanceTimersByTime(1_999);
  expect(seq.sweeps).toHaveLength(0);
  advance(1);
  jest.advanceTimersByTime(1);
  expect(seq.sweeps).toHaveLength(1);
  seq.answer(['k'], 0);
  jest.advanceTimersByTime(60_000);
  expect(seq.sweeps).toHaveLength(0);
});

test('with no replica in sync it tries again later; stop() ends it', () => {
  const { sweeper, seq, targets } = setup([]);
  sweeper.start();
  sweeper.expiryKnown(1_000_000);
  jest.advanceTimersByTime(0);
  expect(seq.sweeps).toHaveLength(0);
  (targets as { inSyncIds: number[] }).inSyncIds = [1];
  jest.advanceTimersByTime(1000);
  expect(seq.sweeps).toHaveLength(1);
  seq.answer([], 1_000_500);
  sweeper.stop();
  jest.advanceTimersByTime(10_000);
  expect(seq.sweeps).toHaveLength(0);
});
