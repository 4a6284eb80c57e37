import { ErrorCode, KvndbError, Op } from '@kvndb/shared';
import type { ReplySink } from '../requests/reply-sink';
import { ConnectionStreams } from './connection-streams';
import { KeyWaiters } from './key-waiters';

/** A read path over a map, answering when told to (reads in flight are held). */
function setup(options = { maxWaiters: 10, maxPerConnection: 3 }) {
  const data = new Map<string, Buffer>();
  const inflight: Array<() => void> = [];
  const read = (msg: unknown[], sink: ReplySink, tag: number) => {
    // The read reflects the data when it is served, as a replica's does.
    inflight.push(() => {
      if (msg[0] === Op.GET) sink.reply(tag, null, data.get(msg[2] as string) ?? null);
      else sink.reply(tag, null, (msg[2] as string[]).map((k) => data.get(k) ?? null));
    });
  };
  const serve = () => inflight.splice(0).forEach((f) => f());
  const waiters = new KeyWaiters(read, options);
  const answers: Array<[KvndbError | null, unknown]> = [];
  const sink: ReplySink = { reply: (_t, err, value) => answers.push([err, value]) };
  return { data, serve, waiters, answers, sink, inflight };
}

afterEach(() => jest.useRealTimers());

describe('KeyWaiters', () => {
  test('a key that exists is answered by the first read', () => {
    const t = setup();
    t.data.set('k', Buffer.from('v'));
    t.waiters.wait(['k'], true, 1000, t.sink, 1, undefined);
    t.serve();
    expect(t.answers).toEqual([[null, Buffer.from('v')]]);
    expect(t.waiters.size).toBe(0);
  });

  test('a set observed while the first read is in flight answers with its value (nothing missed)', () => {
    const t = setup();
    t.waiters.wait(['k'], true, 1000, t.sink, 1, undefined);
    // The read was served before the write; the change arrives before its answer.
    t.waiters.changed([['set', 'k', Buffer.from('new')]]);
    t.serve();
    expect(t.answers).toEqual([[null, Buffer.from('new')]]);
  });

  test('a set without a value (APPEND) reads again, after the read in flight', () => {
    const t = setup();
    t.waiters.wait(['a', 'b'], false, 1000, t.sink, 1, undefined);
    t.waiters.changed([['set', 'b', null]]);
    expect(t.inflight).toHaveLength(1);
    t.serve(); // the first read: nothing yet
    t.data.set('b', Buffer.from('appended'));
    expect(t.inflight).toHaveLength(1); // read again because of the change
    t.serve();
    expect(t.answers).toEqual([[null, ['b', Buffer.from('appended')]]]);
  });

  test('nil at the deadline; waitMs 0 is a single read', () => {
    jest.useFakeTimers();
    const t = setup();
    t.waiters.wait(['k'], true, 500, t.sink, 1, undefined);
    t.serve();
    expect(t.answers).toEqual([]);
    jest.advanceTimersByTime(500);
    expect(t.answers).toEqual([[null, null]]);
    expect(t.waiters.active).toBe(false);
    t.waiters.wait(['k'], true, 0, t.sink, 2, undefined);
    t.serve();
    expect(t.answers).toEqual([[null, null], [null, null]]);
  });

  test('bounded per connection and per router; a closed connection releases its waiters without answers', () => {
    const t = setup({ maxWaiters: 4, maxPerConnection: 2 });
    const conn = new ConnectionStreams();
    t.waiters.wait(['a'], true, 1000, t.sink, 1, conn);
    t.waiters.wait(['b'], true, 1000, t.sink, 2, conn);
    t.waiters.wait(['c'], true, 1000, t.sink, 3, conn);
    expect(t.answers).toEqual([[expect.objectContaining({ code: ErrorCode.TOO_MANY_REQUESTS }), undefined]]);
    expect(t.answers[0][0]!.message).toMatch(/this connection already holds 2 blocked reads/);
    t.waiters.wait(['d'], true, 1000, t.sink, 4, undefined);
    t.waiters.wait(['e'], true, 1000, t.sink, 5, undefined);
    t.waiters.wait(['f'], true, 1000, t.sink, 6, undefined);
    expect(t.answers[1][0]!.message).toMatch(/--max-blocked-reads 4/);
    conn.closed();
    expect(t.waiters.size).toBe(2);
    t.serve();
    t.waiters.changed([['set', 'a', Buffer.from('1')]]);
    expect(t.answers).toHaveLength(2);
    t.waiters.stop(new KvndbError(ErrorCode.SHUTTING_DOWN, 'bye'));
    expect(t.answers.slice(2).map((a) => a[0]?.code)).toEqual([ErrorCode.SHUTTING_DOWN, ErrorCode.SHUTTING_DOWN]);
  });
});
