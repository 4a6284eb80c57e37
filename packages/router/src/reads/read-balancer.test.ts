import { KvndbError } from '@kvndb/shared';
import { MAX_READ_ATTEMPTS, ReadBalancer, type ReadTarget } from './read-balancer';
import { ReadRequest } from './read-request';
import type { ReplySink } from '../requests/reply-sink';

class FakeTarget implements ReadTarget {
  inflightReads = 0;
  answeredReads = 0;
  readonly got: ReadRequest[] = [];
  constructor(
    readonly id: number,
    readonly name = `r${id}`,
  ) {}
  sendRead(req: ReadRequest): void {
    this.got.push(req);
    this.inflightReads++;
  }
}

function sink(): ReplySink & { answers: Array<{ tag: number; err: KvndbError | null; value?: unknown }> } {
  const answers: Array<{ tag: number; err: KvndbError | null; value?: unknown }> = [];
  return { answers, reply: (tag, err, value) => answers.push({ tag, err, value }) };
}

const req = (s: ReplySink, tag = 1) => new ReadRequest([21, 0, 'k'], s, tag, Date.now() + 1000);

describe('ReadBalancer', () => {
  test('picks the target with the fewest outstanding reads', () => {
    const b = new ReadBalancer<FakeTarget>();
    const [a, c, d] = [new FakeTarget(1), new FakeTarget(2), new FakeTarget(3)];
    a.inflightReads = 5;
    c.inflightReads = 1;
    d.inflightReads = 3;
    [a, c, d].forEach((t) => b.add(t));
    expect(b.pick()).toBe(c);
    c.inflightReads = 10;
    expect(b.pick()).toBe(d);
  });

  test('breaks ties round-robin', () => {
    const b = new ReadBalancer<FakeTarget>();
    const ts = [new FakeTarget(1), new FakeTarget(2), new FakeTarget(3)];
    ts.forEach((t) => b.add(t));
    const picks = Array.from({ length: 6 }, () => b.pick()!.id);
    expect(picks).toEqual([1, 2, 3, 1, 2, 3]);
  });

  test('route sends to a target; with none it answers NO_REPLICAS', () => {
    const b = new ReadBalancer<FakeTarget>();
    const s = sink();
    b.route(req(s, 7));
    expect(s.answers).toHaveLength(1);
    expect(s.answers[0].tag).toBe(7);
    expect(s.answers[0].err?.code).toBe('NO_REPLICAS');

    const t = new FakeTarget(1);
    b.add(t);
    b.route(req(s, 8));
    expect(t.got).toHaveLength(1);
    expect(s.answers).toHaveLength(1);
    b.remove(t);
    expect(b.size).toBe(0);
    expect(b.pick()).toBeUndefined();
  });

  test('reroute retries reads of a lost target on another one', () => {
    const b = new ReadBalancer<FakeTarget>();
    const [a, c] = [new FakeTarget(1), new FakeTarget(2)];
    b.add(a);
    b.add(c);
    const s = sink();
    b.route(req(s, 1));
    b.route(req(s, 2));
    b.route(req(s, 3));
    const lost = a.got.length > 0 ? a : c;
    const other = lost === a ? c : a;
    const before = other.got.length;
    b.remove(lost);
    b.reroute(lost.got, lost.name);
    expect(other.got.length).toBe(before + lost.got.length);
    expect(s.answers).toHaveLength(0);
  });

  test('reroute with nobody left answers NO_REPLICAS; a read that keeps failing gives up', () => {
    const b = new ReadBalancer<FakeTarget>();
    const s = sink();
    const r = req(s, 4);
    b.reroute([r], 'gone');
    expect(s.answers[0].err?.code).toBe('NO_REPLICAS');

    const t = new FakeTarget(9);
    b.add(t);
    const r2 = req(s, 5);
    r2.attempts = MAX_READ_ATTEMPTS;
    b.reroute([r2], 'gone');
    expect(t.got).toHaveLength(0);
    expect(s.answers[1]).toMatchObject({ tag: 5 });
    expect(s.answers[1].err?.code).toBe('REPLICA_ERROR');
  });

  test('a retried read goes to a replica that has answered reads before, even when a new one is idler', () => {
    const b = new ReadBalancer<FakeTarget>();
    const [proven, fresh1, fresh2] = [new FakeTarget(1), new FakeTarget(2), new FakeTarget(3)];
    proven.answeredReads = 100;
    proven.inflightReads = 7;
    [proven, fresh1, fresh2].forEach((t) => b.add(t));
    const s = sink();
    b.reroute([req(s, 1), req(s, 2)], 'gone');
    expect(proven.got.map((r) => r.tag)).toEqual([1, 2]);
    expect(fresh1.got.length + fresh2.got.length).toBe(0);
    // A first attempt still goes by load alone.
    b.route(req(s, 3));
    expect(fresh1.got.length + fresh2.got.length).toBe(1);
    // With no proven replica, a retry goes by load.
    const c = new ReadBalancer<FakeTarget>();
    const [x, y] = [new FakeTarget(4), new FakeTarget(5)];
    x.inflightReads = 3;
    [x, y].forEach((t) => c.add(t));
    c.reroute([req(s, 4)], 'gone');
    expect(y.got.map((r) => r.tag)).toEqual([4]);
    expect(s.answers).toEqual([]);
  });
});
