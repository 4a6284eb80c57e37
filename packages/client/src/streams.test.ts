import { Op } from '@kvndb/shared';
import { Streams } from './streams';
import { toMessage } from './subscriptions';

describe('Streams: [EVENT, streamId, ...payload] to the handler of its stream', () => {
  test('routes by stream id; an event for an ended stream is dropped', () => {
    const s = new Streams();
    const a: unknown[][] = [];
    const b: unknown[][] = [];
    s.add(5, (p) => a.push(p));
    s.add(6, (p) => b.push(p));
    expect(s.dispatch([Op.EVENT, 5, 'message', 'ch', Buffer.from('x')])).toBe(true);
    expect(s.dispatch([Op.EVENT, 6, 'x'])).toBe(true);
    s.delete(5);
    expect(s.dispatch([Op.EVENT, 5, 'late'])).toBe(false);
    expect(a).toEqual([['message', 'ch', Buffer.from('x')]]);
    expect(b).toEqual([['x']]);
    expect(s.size).toBe(1);
  });
});

describe('pub/sub events as the client hands them over', () => {
  test('message and pmessage; anything else is a protocol error', () => {
    expect(toMessage(['message', 'ch', new Uint8Array([1, 2])])).toEqual({ channel: 'ch', message: Buffer.from([1, 2]) });
    expect(toMessage(['pmessage', 'c*', 'ch', new Uint8Array([3])])).toEqual({ pattern: 'c*', channel: 'ch', message: Buffer.from([3]) });
    for (const bad of [['message', 'ch'], ['message', 1, new Uint8Array()], ['pmessage', 'p', 'c', 'text'], ['other']]) {
      expect(() => toMessage(bad)).toThrow(/pub\/sub/);
    }
  });
});
