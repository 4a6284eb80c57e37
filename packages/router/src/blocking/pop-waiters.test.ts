import { Answer, ErrorCode, KvndbError, silentLogger, type WriteOp, type WriteResult } from '@kvndb/shared';
import type { ReplySink } from '../requests/reply-sink';
import { PopWaiters, type WaiterSink } from './pop-waiters';

/**
 * A write path over one in-memory list per key that sequences writes in call order and
 * answers them when release() says (as acks would), observed by the waiters like the real one.
 */
class FakeWrites {
  readonly lists = new Map<string, string[]>();
  readonly log: string[] = [];
  private queue: Array<() => void> = [];
  constructor(private readonly waiters: PopWaiters) {}

  write(ops: WriteOp[], _shape: Answer, sink: ReplySink, tag: number): void {
    const op = ops[0];
    let result: WriteResult;
    if (op[0] === 'L') {
      const l = this.lists.get(op[1]) ?? [];
      for (const v of op[2]) {
        if (op[3]) l.unshift(Buffer.from(v).toString());
        else l.push(Buffer.from(v).toString());
      }
      this.lists.set(op[1], l);
      result = l.length;
      this.log.push(`push ${op[1]} ${op[2].map((v) => Buffer.from(v).toString()).join(',')}`);
    } else if (op[0] === 'P') {
      result = null;
      for (const key of op[1]) {
        const l = this.lists.get(key);
        if (!l || l.length === 0) continue;
        const n = Math.min(op[2] ?? 1, l.length);
        const vs = (op[3] ? l.splice(0, n) : l.splice(l.length - n, n).reverse()).map((v) => Buffer.from(v));
        result = [key, vs, l.length];
        break;
      }
      this.log.push(`pop ${op[1].join(',')} -> ${result === null ? 'nil' : (result as [string, Buffer[]])[1].join(',')}`);
    } else {
      throw new Error(`unexpected op ${op[0]}`);
    }
    if (this.waiters.size > 0) this.waiters.written(ops);
    this.queue.push(() => sink.reply(tag, null, result));
  }

  /** Acknowledge every write sequenced so far, in order (answers may sequence more). */
  release(): void {
    while (this.queue.length > 0) this.queue.shift()!();
  }
}

class Sink implements WaiterSink {
  answers: Array<string | null> = [];
  errors: string[] = [];
  closed = false;
  constructor(readonly owner?: object) {}
  reply(_tag: number, err: KvndbError | null, value?: unknown): void {
    if (err) this.errors.push(err.code);
    else this.answers.push(value === null ? null : (value as [string, Buffer[]])[1].map(String).join(','));
  }
}

function setup(maxPerConnection = 10, maxTotal = 100) {
  const waiters = new PopWaiters({ maxPerConnection, maxTotal, logger: silentLogger() });
  const writes = new FakeWrites(waiters);
  waiters.attach(writes);
  const push = (key: string, ...values: string[]) => writes.write([['L', key, values.map((v) => Buffer.from(v)), false, false]], Answer.First, { reply: () => undefined }, 0);
  const pop = (sink: Sink, keys: string[], waitMs = 10_000, left = true) => waiters.pop(['P', keys, null, left], keys, waitMs, sink, 0);
  return { waiters, writes, push, pop };
}

afterEach(() => jest.useRealTimers());

test('a waiting pop is sequenced behind the push that feeds it; waiters are served in arrival order', () => {
  const { waiters, writes, push, pop } = setup();
  const a = new Sink();
  const b = new Sink();
  pop(a, ['q']);
  pop(b, ['q']);
  writes.release();
  expect(waiters.size).toBe(2);
  push('q', '1');
  push('q', '2');
  writes.release();
  expect([a.answers, b.answers]).toEqual([['1'], ['2']]);
  expect(writes.log).toEqual(['pop q -> nil', 'push q 1', 'pop q -> 1', 'push q 2', 'pop q -> 2']);
  expect(waiters.size).toBe(0);
});

test('a push of several values serves as many waiters; values left serve the next one at once', () => {
  const { writes, push, pop } = setup();
  const sinks = [new Sink(), new Sink(), new Sink()];
  for (const s of sinks) pop(s, ['q']);
  writes.release();
  push('q', 'a', 'b', 'c', 'd');
  writes.release();
  expect(sinks.map((s) => s.answers)).toEqual([['a'], ['b'], ['c']]);
  expect(writes.lists.get('q')).toEqual(['d']);
});

test('a push sequenced while the first try is in flight is not missed', () => {
  const { writes, push, pop } = setup();
  const a = new Sink();
  pop(a, ['q']);
  push('q', 'x');
  writes.release();
  expect(a.answers).toEqual(['x']);
  expect(writes.log).toEqual(['pop q -> nil', 'push q x', 'pop q -> x']);
});

test('a pop on several keys takes the first holding a value (BLPOP a b)', () => {
  const { writes, push, pop } = setup();
  const a = new Sink();
  pop(a, ['k1', 'k2']);
  writes.release();
  push('k2', 'v');
  writes.release();
  expect(a.answers).toEqual(['v']);
});

test('a timeout answers nil and removes nothing', () => {
  jest.useFakeTimers();
  const { waiters, writes, push, pop } = setup();
  const a = new Sink();
  pop(a, ['q'], 100);
  writes.release();
  jest.advanceTimersByTime(100);
  expect(a.answers).toEqual([null]);
  push('q', 'kept');
  writes.release();
  expect(writes.lists.get('q')).toEqual(['kept']);
  expect(waiters.size).toBe(0);
});

test('a closed connection is skipped and swept: nothing is popped for it', () => {
  const { waiters, writes, push, pop } = setup();
  const gone = new Sink();
  const next = new Sink();
  pop(gone, ['q']);
  pop(next, ['q']);
  writes.release();
  gone.closed = true;
  push('q', 'v');
  writes.release();
  expect([gone.answers, next.answers]).toEqual([[], ['v']]);
  const later = new Sink();
  pop(later, ['q']);
  writes.release();
  later.closed = true;
  waiters.sweep();
  expect(waiters.size).toBe(0);
});

test('a value popped for a client that left meanwhile is pushed back to where it was', () => {
  const { writes, push, pop } = setup();
  const a = new Sink();
  push('q', 'x', 'y');
  writes.release();
  pop(a, ['q']);
  a.closed = true;
  writes.release();
  expect(writes.lists.get('q')).toEqual(['x', 'y']);
  expect(writes.log.slice(-2)).toEqual(['pop q -> x', 'push q x']);
});

test('bounds per connection and per router are clear errors', () => {
  const { pop, writes } = setup(2, 3);
  const conn = {};
  const s1 = new Sink(conn);
  pop(s1, ['a']);
  pop(s1, ['b']);
  pop(s1, ['c']);
  expect(s1.errors).toEqual([ErrorCode.TOO_MANY_REQUESTS]);
  pop(new Sink(), ['d']);
  const s3 = new Sink();
  pop(s3, ['e']);
  expect(s3.errors).toEqual([ErrorCode.TOO_MANY_REQUESTS]);
  writes.release();
});

test('stop answers every waiter with the error', () => {
  const { waiters, writes, pop } = setup();
  const a = new Sink();
  pop(a, ['q']);
  writes.release();
  waiters.stop(new KvndbError(ErrorCode.SHUTTING_DOWN, 'bye'));
  expect(a.errors).toEqual([ErrorCode.SHUTTING_DOWN]);
  expect(waiters.size).toBe(0);
});
