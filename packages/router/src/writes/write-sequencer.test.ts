import { RouterClock } from '../router-clock';
import { Answer, Op, decodeBody, type KvndbError, type WriteResult } from '@kvndb/shared';
import type { ReplySink } from '../requests/reply-sink';
import { WriteBacklog } from './write-backlog';
import { WriteSequencer, requiredAcks, type WriteAckPolicy, type WriteTarget } from './write-sequencer';

class FakeReplica implements WriteTarget {
  readonly frames: Buffer[] = [];
  constructor(readonly id: number) {}
  sendWrite(frame: Buffer): void {
    this.frames.push(frame);
  }
  decoded(): unknown[] {
    return this.frames.map((f) => decodeBody(f.subarray(4)));
  }
}

type Reply = { tag: number; err: KvndbError | null; value?: unknown };
/** A number in place of a write's results, so a test can tell which ack answered which write. */
const marker = (n: number) => [n] as unknown as WriteResult[];
function sink(): ReplySink & { answers: Reply[] } {
  const answers: Reply[] = [];
  return { answers, reply: (tag, err, value) => answers.push({ tag, err, value }) };
}

const created: WriteSequencer[] = [];

function setup(writeAck: WriteAckPolicy, n: number, timeoutMs = 5000) {
  const backlog = new WriteBacklog(1 << 20);
  const seq = new WriteSequencer({ writeAck, timeoutMs, backlog, maxFrameBytes: 1 << 20, clock: new RouterClock(() => 1) });
  created.push(seq);
  seq.startEpoch(7, 100);
  const reps = Array.from({ length: n }, (_, i) => new FakeReplica(i + 1));
  return { backlog, seq, reps, ids: reps.map((r) => r.id), s: sink() };
}

const set = (k: string): ['s', string, Uint8Array] => ['s', k, Buffer.from('v')];

describe('WriteSequencer', () => {
  afterEach(() => {
    for (const s of created.splice(0)) s.stop();
    jest.useRealTimers();
  });

  test('observers see each write once, in seq order, with the first counted replica results, and can stop', () => {
    const { seq, reps, ids, s } = setup('majority', 3);
    const seen: unknown[] = [];
    const stop = seq.observe((w) => seen.push([w.epoch, w.seq, w.time, w.ops, w.results]));
    seq.sequence([set('a')], reps, ids, Answer.First, s, 1);
    seq.sequence([['d', 'a']], reps, ids, Answer.First, s, 2);
    expect(seen).toEqual([]); // nothing is applied yet
    seq.ack(2, 101, marker(1));
    seq.ack(1, 101, marker(9)); // a second replica's ack is not a second event
    seq.ack(3, 102, marker(2));
    seq.ack(9, 102, marker(8)); // not a counted replica
    expect(seen).toEqual([
      [7, 101, 1, [set('a')], marker(1)],
      [7, 102, 1, [['d', 'a']], marker(2)],
    ]);
    stop();
    seq.sequence([set('b')], reps, ids, Answer.First, s, 3);
    seq.ack(1, 103, marker(3));
    expect(seen).toHaveLength(2);
  });

  test('assigns consecutive seqs in the epoch, encodes once, sends the same frame to all and keeps it in the backlog', () => {
    const { seq, reps, ids, s, backlog } = setup('one', 3);
    expect(seq.sequence([set('a')], reps, ids, Answer.First, s, 1)).toBe(101);
    expect(seq.sequence([['d', 'a']], reps, ids, Answer.First, s, 2)).toBe(102);
    expect(seq.seq).toBe(102);
    for (const r of reps) {
      expect(r.decoded()).toEqual([
        [Op.WRITE, 7, 101, [['s', 'a', Buffer.from('v')]], 1],
        [Op.WRITE, 7, 102, [['d', 'a']], 1],
      ]);
    }
    expect(reps[0].frames[0]).toBe(reps[1].frames[0]); // one encode, shared
    expect(backlog.get(101)).toEqual(reps[0].frames[0]); // a copy, byte for byte
    expect(backlog.lastSeq).toBe(102);
  });

  test('required acks per policy', () => {
    expect([1, 2, 3, 4, 5].map((n) => requiredAcks('majority', n))).toEqual([1, 2, 2, 3, 3]);
    expect([1, 2, 3].map((n) => requiredAcks('one', n))).toEqual([1, 1, 1]);
    expect([1, 2, 3].map((n) => requiredAcks('all', n))).toEqual([1, 2, 3]);
  });

  test('majority: answers after floor(n/2)+1 acks with the first ack results', () => {
    const { seq, reps, ids, s } = setup('majority', 3);
    seq.sequence([set('a')], reps, ids, Answer.First, s, 9);
    seq.ack(1, 101, [true]);
    expect(s.answers).toHaveLength(0);
    seq.ack(1, 101, [true]); // the same replica twice would be a bug there; order of others decides
    seq.ack(3, 101, [false]);
    expect(s.answers).toHaveLength(1);
    expect(s.answers[0]).toEqual({ tag: 9, err: null, value: true });
    seq.ack(2, 101, [true]);
    expect(s.answers).toHaveLength(1);
  });

  test('one and all', () => {
    const one = setup('one', 3);
    one.seq.sequence([set('a')], one.reps, one.ids, Answer.First, one.s, 1);
    one.seq.ack(2, 101, [true]);
    expect(one.s.answers).toEqual([{ tag: 1, err: null, value: true }]);

    const all = setup('all', 3);
    all.seq.sequence([set('a'), ['d', 'b']], all.reps, all.ids, Answer.All, all.s, 1);
    all.seq.ack(1, 101, [true, false]);
    all.seq.ack(2, 101, [true, false]);
    expect(all.s.answers).toHaveLength(0);
    all.seq.ack(3, 101, [true, false]);
    expect(all.s.answers).toEqual([{ tag: 1, err: null, value: [true, false] }]);
  });

  test('MSET answers nil; acks from replicas that were not targets do not count', () => {
    const { seq, reps, ids, s } = setup('all', 2);
    seq.sequence([set('a'), set('b')], reps, ids, Answer.Nil, s, 3);
    seq.ack(99, 101, [true, true]);
    seq.ack(1, 101, [true, true]);
    expect(s.answers).toHaveLength(0);
    seq.ack(2, 101, [true, true]);
    expect(s.answers).toEqual([{ tag: 3, err: null, value: null }]);
  });

  test('lagging replicas receive the write but only counted ones make the policy', () => {
    const { seq, reps, s } = setup('all', 3);
    seq.sequence([set('a')], reps, [1], Answer.First, s, 1);
    expect(reps[2].frames).toHaveLength(1);
    seq.ack(1, 101, [true]);
    expect(s.answers).toEqual([{ tag: 1, err: null, value: true }]);
  });

  test('times out with {applied, required}', () => {
    jest.useFakeTimers();
    const { seq, reps, ids, s } = setup('all', 3, 1000);
    seq.sequence([set('a')], reps, ids, Answer.First, s, 1);
    jest.advanceTimersByTime(500);
    seq.sequence([set('b')], reps, ids, Answer.First, s, 2);
    seq.ack(1, 101, [true]);
    seq.ack(2, 101, [true]);
    jest.advanceTimersByTime(600);
    expect(s.answers).toHaveLength(1);
    expect(s.answers[0].tag).toBe(1);
    expect(s.answers[0].err?.code).toBe('TIMEOUT');
    expect(s.answers[0].err?.details).toEqual({ applied: 2, required: 3 });
    jest.advanceTimersByTime(500);
    expect(s.answers).toHaveLength(2);
    expect(s.answers[1].err?.details).toEqual({ applied: 0, required: 3 });
    expect(seq.pendingCount).toBe(0);
  });

  test('replica loss fails writes that can no longer reach the requirement, keeps the others', () => {
    const { seq, reps, ids, s } = setup('majority', 3);
    seq.sequence([set('a')], reps, ids, Answer.First, s, 1); // 101
    seq.sequence([set('b')], reps, ids, Answer.First, s, 2); // 102
    seq.ack(1, 101, [true]);
    seq.targetLost(3); // 101: 1 acked + 1 reachable >= 2; 102: 2 reachable >= 2
    expect(s.answers).toHaveLength(0);
    seq.targetLost(2);
    // 101: acked by 1 only, nobody left -> TIMEOUT {1, 2}; 102: 1 reachable < 2
    expect(s.answers.map((a) => [a.tag, a.err?.code, a.err?.details])).toEqual([
      [1, 'TIMEOUT', { applied: 1, required: 2 }],
      [2, 'TIMEOUT', { applied: 0, required: 2 }],
    ]);
  });

  test('a lost replica that had already acknowledged still counts', () => {
    const { seq, reps, ids, s } = setup('all', 2);
    seq.sequence([set('a')], reps, ids, Answer.First, s, 1);
    seq.ack(1, 101, [true]);
    seq.targetLost(1);
    expect(s.answers).toHaveLength(0);
    seq.ack(2, 101, [true]);
    expect(s.answers).toEqual([{ tag: 1, err: null, value: true }]);
  });

  test('no in-sync replica: NO_REPLICAS and no seq used; too large: TOO_LARGE and no seq used', () => {
    const backlog = new WriteBacklog(1 << 20);
    const seq = new WriteSequencer({ writeAck: 'one', timeoutMs: 1000, backlog, maxFrameBytes: 100, clock: new RouterClock(() => 1) });
    seq.startEpoch(1, 0);
    const s = sink();
    expect(seq.sequence([set('a')], [], [], Answer.First, s, 1)).toBe(0);
    expect(s.answers[0].err?.code).toBe('NO_REPLICAS');
    expect(() => seq.sequence([['s', 'k', Buffer.alloc(200)]], [new FakeReplica(1)], [1], Answer.First, s, 2)).toThrow(
      expect.objectContaining({ code: 'TOO_LARGE' }),
    );
    expect(seq.seq).toBe(0);
    expect(backlog.size).toBe(0);
  });

  test('thousands of writes in flight, acknowledged out of order around epoch-marker gaps: each answered once with its own result', () => {
    const { seq, reps, ids, s } = setup('all', 2);
    let rnd = 12345;
    const random = () => (rnd = (rnd * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const seqs: number[] = [];
    for (let tag = 1; tag <= 5000; tag++) {
      if (tag % 97 === 0) seq.sequence([], reps, ids, Answer.Nil, null, 0);
      seqs.push(seq.sequence([set(`k${tag}`)], reps, ids, Answer.First, s, tag));
    }
    expect(seq.pendingCount).toBe(5000);
    for (const n of seqs) seq.ack(1, n, marker(n));
    const shuffled = [...seqs];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    for (const n of shuffled.slice(0, 2500)) seq.ack(2, n, marker(n));
    expect(seq.pendingCount).toBe(2500);
    for (const n of shuffled.slice(2500)) seq.ack(2, n, marker(n));
    expect(seq.pendingCount).toBe(0);
    const byTag = new Map(s.answers.map((a) => [a.tag, a]));
    expect(s.answers).toHaveLength(5000);
    expect(byTag.size).toBe(5000);
    seqs.forEach((n, i) => expect(byTag.get(i + 1)).toEqual({ tag: i + 1, err: null, value: n }));
    // A late or repeated ack for a finished write is ignored.
    seq.ack(2, seqs[0], marker(0));
    expect(s.answers).toHaveLength(5000);
  });

  test('one stuck write while the ring wraps many times: the others complete, it times out alone', () => {
    jest.useFakeTimers();
    const { seq, reps, ids, s } = setup('one', 1, 1000);
    // Ten writes ahead of the stuck one finish first, so the ring's head is not at slot 0 when it grows.
    const early = Array.from({ length: 10 }, (_, i) => seq.sequence([set(`e${i}`)], reps, ids, Answer.First, s, -1));
    const stuck = seq.sequence([set('stuck')], reps, ids, Answer.First, s, 0);
    for (const n of early) seq.ack(1, n, [true]);
    s.answers.length = 0;
    // Each write is acknowledged 100 writes later, so a hundred are in flight whenever the ring grows.
    const inFlight: number[] = [];
    for (let tag = 1; tag <= 3000; tag++) {
      inFlight.push(seq.sequence([set(`k${tag}`)], reps, ids, Answer.First, s, tag));
      if (inFlight.length > 100) seq.ack(1, inFlight.shift() as number, marker(tag));
    }
    for (const n of inFlight) seq.ack(1, n, marker(0));
    expect(s.answers).toHaveLength(3000);
    expect(s.answers.map((a) => a.tag)).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
    expect(seq.pendingCount).toBe(1);
    jest.advanceTimersByTime(1001);
    expect(s.answers[3000]).toMatchObject({ tag: 0, err: expect.objectContaining({ code: 'TIMEOUT' }) });
    expect(seq.pendingCount).toBe(0);
    // And the sequencer carries on from an empty ring.
    const next = seq.sequence([set('after')], reps, ids, Answer.First, s, 9);
    expect(next).toBe(stuck + 3001);
    seq.ack(1, next, [true]);
    expect(s.answers[3001]).toEqual({ tag: 9, err: null, value: true });
  });

  test('a reply that shuts the sequencer down while a lost replica fails writes: every write answered once', () => {
    const { seq, reps, ids } = setup('all', 2);
    const answers: Array<[number, string | undefined]> = [];
    const s: ReplySink = {
      reply: (tag, err) => {
        answers.push([tag, err?.code]);
        if (tag === 1) seq.failAll(Object.assign(new Error('x'), { code: 'SHUTTING_DOWN' }) as unknown as KvndbError);
      },
    };
    for (let tag = 1; tag <= 3; tag++) seq.sequence([set(`k${tag}`)], reps, ids, Answer.First, s, tag);
    seq.targetLost(2);
    expect(answers).toEqual([
      [1, 'TIMEOUT'],
      [2, 'SHUTTING_DOWN'],
      [3, 'SHUTTING_DOWN'],
    ]);
    expect(seq.pendingCount).toBe(0);
    // Acks arriving afterwards find nothing to answer.
    seq.ack(1, 102, [true]);
    expect(answers).toHaveLength(3);
  });

  test('an epoch marker is sequenced without a client and failAll answers every pending write', () => {
    const { seq, reps, ids, s } = setup('all', 2);
    expect(seq.sequence([], reps, ids, Answer.Nil, null, 0)).toBe(101);
    expect(seq.pendingCount).toBe(0);
    seq.sequence([set('a')], reps, ids, Answer.First, s, 5);
    seq.failAll(Object.assign(new Error('x'), { code: 'SHUTTING_DOWN' }) as unknown as KvndbError);
    expect(s.answers.map((a) => [a.tag, a.err?.code])).toEqual([[5, 'SHUTTING_DOWN']]);
  });
});
