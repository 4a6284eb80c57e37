import { ErrorCode, KvndbError, Op, encodeFrame, type WatchPayload, type WriteOp } from '@kvndb/shared';
import { WriteBacklog } from '../writes/write-backlog';
import { ChangeFeed } from './change-feed';

/** A feed over a real backlog, and a way to sequence and observe writes into both. */
function setup(backlogBytes = 1 << 20, maxWatchers = 100) {
  const backlog = new WriteBacklog(backlogBytes);
  backlog.reset(0);
  const position = { seq: 0 };
  const feed = new ChangeFeed(backlog, position, { maxWatchers });
  const write = (ops: WriteOp[], results = ops.map(() => true as const)) => {
    const seq = ++position.seq;
    backlog.append(seq, encodeFrame([Op.WRITE, 5, seq, ops, 1000]));
    feed.observe({ epoch: 5, seq, time: 1000, ops, results });
    return seq;
  };
  const set = (key: string, value = `v`) => write([['s', key, Buffer.from(value)]]);
  return { feed, write, set, backlog, position };
}

/** A consumer that takes `room` payloads before reporting itself full. */
function consumer(room = Infinity) {
  const got: WatchPayload[] = [];
  const errors: KvndbError[] = [];
  const c = {
    got,
    errors,
    room,
    event: (p: WatchPayload) => {
      got.push(p);
      return got.length < c.room;
    },
    error: (e: KvndbError) => errors.push(e),
    keys: () => got.flatMap((p) => p[2].map((ch) => `${p[1]}:${ch[0]}:${ch[1]}`)),
  };
  return c;
}

describe('ChangeFeed', () => {
  test('a prefix watcher gets the matching changes of each write, once, in seq order; a flush reaches everyone', () => {
    const { feed, set, write } = setup();
    set('a:0');
    const c = consumer();
    const w = feed.watch({ prefix: 'a:' }, null, c);
    expect(w.position).toBe(1);
    w.start();
    set('a:1');
    set('b:1');
    write([['s', 'a:2', Buffer.from('x')], ['s', 'b:2', Buffer.from('y')], ['d', 'a:1']]);
    write([['F']]);
    expect(c.keys()).toEqual(['2:set:a:1', '4:set:a:2', '4:del:a:1', '5:flush:']);
    expect(c.got.map((p) => p[0])).toEqual([5, 5, 5]);
  });

  test('a watcher whose keys saw no change gets a progress mark (an empty payload) on the tick, once', () => {
    const { feed, set } = setup();
    const c = consumer();
    feed.watch({ prefix: 'rare:' }, null, c).start();
    feed.tick();
    expect(c.got).toEqual([]);
    set('rare:1');
    set('other:1');
    set('other:2');
    feed.tick();
    feed.tick();
    expect(c.got.map((p) => [p[1], p[2].length])).toEqual([[1, 1], [3, 0]]);
  });

  test('a key-set watcher sees only its keys', () => {
    const { feed, set } = setup();
    const c = consumer();
    feed.watch({ keys: ['x', 'y'] }, null, c).start();
    set('x');
    set('xy');
    set('y');
    expect(c.keys()).toEqual(['1:set:x', '3:set:y']);
  });

  test('from a past seq it replays the history, then goes on live, with nothing lost or repeated', () => {
    const { feed, set } = setup();
    for (let i = 1; i <= 10; i++) set(`k${i}`);
    const c = consumer();
    const w = feed.watch({ prefix: 'k' }, 4, c);
    expect(w.position).toBe(4);
    w.start();
    set('k11');
    expect(c.got.map((p) => p[1])).toEqual([5, 6, 7, 8, 9, 10, 11]);
  });

  test('a full consumer pauses the watcher; resume() catches up from history without a queue of its own', () => {
    const { feed, set } = setup();
    const c = consumer(2);
    const w = feed.watch({ prefix: '' }, null, c);
    w.start();
    for (let i = 1; i <= 6; i++) set(`k${i}`);
    expect(c.got.map((p) => p[1])).toEqual([1, 2]);
    c.room = 4;
    w.resume();
    expect(c.got.map((p) => p[1])).toEqual([1, 2, 3, 4]);
    c.room = Infinity;
    w.resume();
    set('k7');
    expect(c.got.map((p) => p[1])).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(c.errors).toEqual([]);
  });

  test('a watcher that stops reading is cut off with COMPACTED once the history passes it', () => {
    const { feed, set, backlog } = setup(4000);
    const c = consumer(1);
    feed.watch({ prefix: '' }, null, c).start();
    for (let i = 0; i < 2000 && c.errors.length === 0; i++) set(`k${i}`, 'x'.repeat(50));
    expect(c.errors).toHaveLength(1);
    expect(c.errors[0].code).toBe(ErrorCode.COMPACTED);
    expect(c.errors[0].message).toMatch(/fell behind/);
    expect(c.errors[0].details?.oldestSeq).toBe(backlog.firstSeq);
    expect(feed.watcherCount).toBe(0);
  });

  test('COMPACTED for a seq older than the history or ahead of the newest write; the bound on watchers', () => {
    const { feed, set, backlog } = setup(3000, 2);
    for (let i = 0; i < 200; i++) set(`k${i}`, 'x'.repeat(50));
    const floor = backlog.firstSeq - 1;
    expect(() => feed.watch({ prefix: '' }, floor - 1, consumer())).toThrow(expect.objectContaining({ code: ErrorCode.COMPACTED, details: { oldestSeq: floor + 1 } }));
    expect(() => feed.watch({ prefix: '' }, 201, consumer())).toThrow(expect.objectContaining({ code: ErrorCode.COMPACTED }));
    feed.watch({ prefix: '' }, floor, consumer());
    feed.watch({ prefix: '' }, 200, consumer());
    expect(() => feed.watch({ prefix: '' }, null, consumer())).toThrow(expect.objectContaining({ code: ErrorCode.TOO_MANY_REQUESTS }));
  });

  test('close() stops delivery; stop() ends every watcher with the error and refuses new ones', () => {
    const { feed, set } = setup();
    const a = consumer();
    const b = consumer();
    const wa = feed.watch({ prefix: '' }, null, a);
    wa.start();
    feed.watch({ prefix: '' }, null, b).start();
    wa.close();
    set('k');
    expect(a.got).toEqual([]);
    expect(b.got).toHaveLength(1);
    const err = new KvndbError(ErrorCode.SHUTTING_DOWN, 'bye');
    feed.stop(err);
    expect(b.errors).toEqual([expect.objectContaining({ code: ErrorCode.SHUTTING_DOWN, details: { seq: 1 } })]);
    expect(a.errors).toEqual([]);
    expect(() => feed.watch({ prefix: '' }, null, consumer())).toThrow(err);
  });
});
