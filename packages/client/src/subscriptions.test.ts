import { DEFAULT_LIMITS, Op, type PubSubMessage } from '@kvndb/shared';
import { Subscriptions, type SubscriptionHost } from './subscriptions';

/** A host whose requests the test answers by hand; `streams` routes events as the client does. */
function host() {
  const handlers = new Map<number, (payload: unknown[]) => void>();
  const streams = {
    add: (id: number, fn: (payload: unknown[]) => void) => handlers.set(id, fn),
    delete: (id: number) => handlers.delete(id),
    get size() {
      return handlers.size;
    },
    /** An EVENT for stream `id`; false when no stream has it (dropped). */
    event(id: number, payload: unknown[]): boolean {
      const fn = handlers.get(id);
      fn?.(payload);
      return fn !== undefined;
    },
  };
  const sent: Array<{ msg: unknown[]; resolve: (v: unknown) => void; reject: (e: Error) => void }> = [];
  let nextId = 1;
  const send = (msg: unknown[]): Promise<unknown> =>
    new Promise((resolve, reject) => {
      msg[1] = nextId++;
      sent.push({ msg, resolve, reject });
    });
  const h: SubscriptionHost & { isConnected: boolean } = {
    limits: DEFAULT_LIMITS,
    isConnected: true,
    get connected() {
      return h.isConnected;
    },
    openStream(msg, onEvent) {
      const answer = send(msg);
      streams.add(msg[1] as number, onEvent);
      return { id: msg[1] as number, answer };
    },
    closeStream: (id) => streams.delete(id),
    request: send,
    report: (err) => {
      throw err;
    },
  };
  return { h, sent, streams };
}

describe('Subscriptions', () => {
  test('events reach the handler; after a reconnect the subscription is made again under a new stream id', async () => {
    const { h, sent, streams } = host();
    const subs = new Subscriptions(h);
    const got: PubSubMessage[] = [];
    const pending = subs.subscribe('channels', ['a'], (m) => got.push(m));
    expect(sent[0].msg).toEqual([Op.SUBSCRIBE, 1, ['a']]);
    sent[0].resolve(1);
    const sub = await pending;
    streams.event(1, ['message', 'a', Buffer.from('1')]);
    subs.reconnected();
    expect(sent[1].msg).toEqual([Op.SUBSCRIBE, 2, ['a']]);
    sent[1].resolve(1);
    expect(streams.event(1, ['message', 'a', Buffer.from('old')])).toBe(false);
    streams.event(2, ['message', 'a', Buffer.from('2')]);
    expect(got.map((m) => m.message.toString())).toEqual(['1', '2']);
    const done = sub.unsubscribe();
    await new Promise((r) => setImmediate(r));
    expect(sent[2].msg).toEqual([Op.UNSUBSCRIBE, 3, 2]);
    sent[2].resolve(true);
    await done;
    expect(sub.active).toBe(false);
  });

  test('unsubscribing while a resubscription is in flight ends it once the router has made it', async () => {
    const { h, sent } = host();
    const subs = new Subscriptions(h);
    const pending = subs.subscribe('patterns', ['p*'], () => {});
    sent[0].resolve(1);
    const sub = await pending;
    subs.reconnected();
    const done = sub.unsubscribe();
    await Promise.resolve();
    expect(sent).toHaveLength(2); // nothing yet: the PSUBSCRIBE is unanswered
    sent[1].resolve(1);
    await new Promise((r) => setImmediate(r));
    expect(sent[2].msg).toEqual([Op.UNSUBSCRIBE, 3, 2]);
    sent[2].resolve(true);
    await done;
  });

  test('a refused SUBSCRIBE rejects and leaves nothing behind', async () => {
    const { h, sent, streams } = host();
    const subs = new Subscriptions(h);
    const pending = subs.subscribe('channels', ['a'], () => {});
    sent[0].reject(new Error('refused'));
    await expect(pending).rejects.toThrow('refused');
    expect(streams.size).toBe(0);
    subs.reconnected();
    expect(sent).toHaveLength(1);
  });
});
