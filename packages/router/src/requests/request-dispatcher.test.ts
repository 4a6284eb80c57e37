import { DEFAULT_LIMITS, ErrorCode, KvndbError, Op, silentLogger, type RouterStatus, type WriteOp } from '@kvndb/shared';
import type { ReadPath } from '../reads/read-path';
import type { WritePath } from '../writes/write-path';
import { Answer } from '@kvndb/shared';
import { RequestDispatcher } from './request-dispatcher';
import { PopWaiters } from '../blocking/pop-waiters';
import type { ReplySink } from './reply-sink';

/** Records what reached the read and write paths, and every answer. */
function setup() {
  const routed: string[] = [];
  const reads = { read: (msg: unknown[]) => routed.push(`read ${JSON.stringify(msg)}`) } as unknown as ReadPath;
  const writes = {
    write: (ops: WriteOp[], shape: Answer) => routed.push(`write ${JSON.stringify(ops)} shape ${shape}`),
  } as unknown as WritePath;
  const answers: Array<[number, string | null, unknown]> = [];
  const sink: ReplySink = { reply: (tag, err, value) => answers.push([tag, err ? err.code : null, value]) };
  const waiters = new PopWaiters({ maxPerConnection: 2, maxTotal: 10, logger: silentLogger() });
  waiters.attach(writes);
  const d = new RequestDispatcher(DEFAULT_LIMITS, reads, writes, () => ({ seq: 7 }) as RouterStatus, () => 1_700_000_000_123, waiters);
  return { d, routed, answers, sink };
}

test('before start: NO_REPLICAS; after stop: SHUTTING_DOWN', () => {
  const { d, answers, sink } = setup();
  d.execute([Op.GET, 1, 'k'], sink, 1);
  d.hold();
  d.release();
  d.stop(new KvndbError(ErrorCode.SHUTTING_DOWN, 'stopping'));
  d.execute([Op.GET, 2, 'k'], sink, 2);
  expect(answers.map((a) => a.slice(0, 2))).toEqual([
    [1, ErrorCode.NO_REPLICAS],
    [2, ErrorCode.SHUTTING_DOWN],
  ]);
});

test('arguments start at msg[2] whatever the id; a bare [op, id, key] read is passed on as is', () => {
  const { d, routed, answers, sink } = setup();
  d.hold();
  d.release();
  const get = [Op.GET, 0, 'k'];
  d.execute(get, sink, 5);
  d.execute([Op.KEYS, 9, 'p', 10], sink, 6);
  d.execute([Op.SET, 0, 'k', Buffer.from('v'), { nx: true }], sink, 7);
  d.execute([Op.MSET, 3, [['a', Buffer.from('1')]]], sink, 8);
  d.execute([Op.PING, 4], sink, 9);
  d.execute([Op.STATUS, 4], sink, 10);
  d.execute([Op.DEL, 4, ''], sink, 11);
  d.execute([Op.WRITE, 4], sink, 12);
  expect(routed).toEqual([
    `read ${JSON.stringify(get)}`,
    `read ${JSON.stringify([Op.KEYS, 0, 'p', 10, null])}`,
    `write ${JSON.stringify([['s', 'k', Buffer.from('v'), { nx: true }]])} shape ${Answer.First}`,
    `write ${JSON.stringify([['s', 'a', Buffer.from('1')]])} shape ${Answer.Nil}`,
  ]);
  expect(answers).toEqual([
    [9, null, 'PONG'],
    [10, null, { seq: 7 }],
    [11, ErrorCode.BAD_REQUEST, undefined],
    [12, ErrorCode.NOT_SUPPORTED, undefined],
  ]);
});

test('the join window holds reads and writes in order; release runs them, stop fails them', () => {
  const { d, routed, answers, sink } = setup();
  d.hold();
  d.execute([Op.SET, 1, 'k', Buffer.from('v')], sink, 1);
  d.execute([Op.GET, 2, 'k'], sink, 2);
  d.execute([Op.PING, 3], sink, 3);
  expect(routed).toEqual([]);
  expect(answers).toEqual([[3, null, 'PONG']]);
  d.release();
  expect(routed.map((r) => r.split(' ')[0])).toEqual(['write', 'read']);

  const other = setup();
  other.d.hold();
  other.d.execute([Op.GET, 1, 'k'], other.sink, 1);
  other.d.stop(new KvndbError(ErrorCode.SHUTTING_DOWN, 'stopping'));
  other.d.release();
  expect(other.routed).toEqual([]);
  expect(other.answers).toEqual([[1, ErrorCode.SHUTTING_DOWN, undefined]]);
});

test('dispatch builds the whole message [op, 0, ...args] and answers through a callback', () => {
  const { d, routed } = setup();
  d.hold();
  d.release();
  let answer: unknown;
  d.dispatch(Op.PING, [], (err, value) => (answer = err ?? value));
  d.dispatch(Op.HAS, ['k'], () => {});
  expect(answer).toBe('PONG');
  expect(routed).toEqual([`read ${JSON.stringify([Op.HAS, 0, 'k'])}`]);
});

test("TIME is answered by the router with its clock, with no read or write", () => {
  const { d, routed, answers, sink } = setup();
  d.hold();
  d.release();
  d.execute([Op.TIME, 3], sink, 9);
  expect(answers).toEqual([[9, null, 1_700_000_000_123]]);
  expect(routed).toEqual([]);
});
