import { ConnectionClosedError, ErrorCode, KvndbError, Op, TimeoutError } from '@kvndb/shared';
import { Command, CommandQueue, CommandState } from './command-queue';

function make(queue: CommandQueue, op: number, retryable: boolean) {
  const id = queue.allocateId();
  const cmd = new Command(id, op, (v) => v, Buffer.from([id]), retryable, queue.deadline());
  const outcome: { value?: unknown; error?: KvndbError } = {};
  cmd.resolve = (v) => (outcome.value = v);
  cmd.reject = (e) => (outcome.error = e as KvndbError);
  return { cmd, outcome };
}

const queues: CommandQueue[] = [];
function newQueue(timeoutMs = 10000, maxQueued = 100): CommandQueue {
  const q = new CommandQueue({ timeoutMs, maxQueued });
  queues.push(q);
  return q;
}

afterEach(() => {
  for (const q of queues.splice(0)) q.flushAll(new Error('test over'));
});

test('ids are positive, increasing, and wrap below 2^31 skipping ids still in use', () => {
  const q = newQueue();
  expect(q.allocateId()).toBe(1);
  expect(q.allocateId()).toBe(2);
  const live = make(q, Op.GET, true);
  q.addSent(live.cmd); // id 3 stays in flight
  (q as unknown as { nextId: number }).nextId = 0x7fffffff - 1;
  expect(q.allocateId()).toBe(0x7fffffff);
  expect(q.allocateId()).toBe(1);
  expect(q.allocateId()).toBe(2);
  expect(q.allocateId()).toBe(4); // 3 is taken
});

test('settle hands out each answered command once and ignores unknown ids', () => {
  const q = newQueue();
  const a = make(q, Op.GET, true);
  q.addSent(a.cmd);
  expect(q.settle(a.cmd.id)).toBe(a.cmd);
  expect(q.settle(a.cmd.id)).toBeUndefined();
  expect(q.settle(999)).toBeUndefined();
  expect(q.settle('1')).toBeUndefined();
  expect(q.size).toBe(0);
});

test('connection loss re-queues reads ahead of waiting requests and fails writes', () => {
  const q = newQueue();
  const read = make(q, Op.GET, true);
  const write = make(q, Op.SET, false);
  const read2 = make(q, Op.KEYS, true);
  q.addSent(read.cmd);
  q.addSent(write.cmd);
  q.addSent(read2.cmd);
  q.connectionLost(KvndbError.connectionClosed('socket reset'));
  const later = make(q, Op.PING, true);
  q.addWaiting(later.cmd);

  expect(write.outcome.error).toBeInstanceOf(ConnectionClosedError);
  expect(write.outcome.error?.message).toMatch(/SET.*may or may not have been applied/);
  expect((write.outcome.error?.cause as Error).message).toBe('socket reset');
  expect(read.outcome.error).toBeUndefined();
  expect(q.waitingCount).toBe(3);
  const out = q.takeWaiting();
  expect(out).toEqual([read.cmd, read2.cmd, later.cmd]);
  expect(out.every((c) => c.state === CommandState.SENT)).toBe(true);
  expect(q.settle(read.cmd.id)).toBe(read.cmd);
});

test('the waiting list is bounded by maxQueued', () => {
  const q = newQueue(10000, 2);
  q.addWaiting(make(q, Op.GET, true).cmd);
  q.addWaiting(make(q, Op.GET, true).cmd);
  let thrown: unknown;
  try {
    q.addWaiting(make(q, Op.GET, true).cmd);
  } catch (err) {
    thrown = err;
  }
  expect((thrown as KvndbError).code).toBe(ErrorCode.TOO_MANY_REQUESTS);
  expect(q.size).toBe(2);
});

test('one timer expires commands in deadline order and frees their waiting places', async () => {
  const q = newQueue(200, 10);
  const sent = make(q, Op.GET, true);
  q.addSent(sent.cmd);
  const waiting = make(q, Op.HAS, true);
  q.addWaiting(waiting.cmd);
  await new Promise((r) => setTimeout(r, 100));
  const young = make(q, Op.PING, true);
  q.addSent(young.cmd);
  await new Promise((r) => setTimeout(r, 150));
  expect(sent.outcome.error).toBeInstanceOf(TimeoutError);
  expect(sent.outcome.error?.message).toBe('GET request timed out after 200 ms');
  expect(waiting.outcome.error?.message).toBe('HAS request timed out after 200 ms while waiting for a connection');
  expect(young.outcome.error).toBeUndefined();
  expect(q.waitingCount).toBe(0);
  expect(q.settle(sent.cmd.id)).toBeUndefined(); // a late answer finds nothing
  await new Promise((r) => setTimeout(r, 120));
  expect(young.outcome.error).toBeInstanceOf(TimeoutError);
  expect(q.size).toBe(0);
});

test('flushAll fails everything with one error and stops the timer', () => {
  const q = newQueue();
  const a = make(q, Op.GET, true);
  const b = make(q, Op.SET, false);
  q.addSent(a.cmd);
  q.addWaiting(b.cmd);
  const err = KvndbError.connectionClosed('client closed');
  q.flushAll(err);
  expect(a.outcome.error).toBe(err);
  expect(b.outcome.error).toBe(err);
  expect(q.size).toBe(0);
  expect(q.waitingCount).toBe(0);
  expect((q as unknown as { timer: unknown }).timer).toBeNull();
});
