import { KvndbError } from '@kvndb/shared';
import { ClientStreams, type StreamHandler } from './streams';

function recorder(): StreamHandler & { seen: unknown[] } {
  const seen: unknown[] = [];
  return {
    seen,
    result: (v) => seen.push(['result', v]),
    error: (e) => seen.push(['error', e.code]),
    event: (p) => seen.push(['event', p]),
    lost: (e) => seen.push(['lost', e.code]),
  };
}

describe('ClientStreams: a stream named by the id of the request that opened it', () => {
  test('routes answers and pushes to their stream, ends it on an error, and drops what comes after', () => {
    const s = new ClientStreams();
    const a = recorder();
    const b = recorder();
    s.add(5, a);
    s.add(6, b);
    s.result(5, 42);
    s.event(5, ['message', 'ch', Buffer.from('x')]);
    s.event(6, [1, 2, []]);
    s.error(6, new KvndbError('COMPACTED', 'behind'));
    s.event(6, 'late'); // a push still in flight after its stream ended
    s.event(7, 'unknown');
    s.result('x', 1);
    expect(a.seen).toEqual([
      ['result', 42],
      ['event', ['message', 'ch', Buffer.from('x')]],
    ]);
    expect(b.seen).toEqual([
      ['event', [1, 2, []]],
      ['error', 'COMPACTED'],
    ]);
    expect(s.has(6)).toBe(false);
    expect(s.size).toBe(1);
  });

  test('a lost connection ends every stream on it, once', () => {
    const s = new ClientStreams();
    const a = recorder();
    s.add(1, a);
    s.connectionLost(KvndbError.connectionClosed('gone'));
    s.connectionLost(KvndbError.connectionClosed('again'));
    expect(a.seen).toEqual([['lost', 'CONNECTION_CLOSED']]);
    expect(s.size).toBe(0);
  });
});
