import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { publish } from './publish';
import { pubsubChannels } from './pubsub-channels';
import { pubsubNumsub } from './pubsub-numsub';
import { psubscribe } from './psubscribe';
import { decodeSubscribed, subscribe, subscribeRequest } from './subscribe';
import { decodeUnsubscribed, unsubscribe, unsubscribeRequest } from './unsubscribe';
import { LIMITS, thrown } from '../testing/command-spec';

describe('pub/sub commands', () => {
  test('all answered by the router; subscriptions have no plain client method (the client routes their events)', () => {
    for (const c of [subscribe, psubscribe, unsubscribe, publish, pubsubChannels, pubsubNumsub]) {
      expect(c.route).toBe('router');
      expect(c).not.toHaveProperty('toRead');
      expect(c).not.toHaveProperty('toWrite');
    }
    for (const c of [subscribe, psubscribe, unsubscribe]) expect(c.methods).toEqual({});
  });

  test('SUBSCRIBE / PSUBSCRIBE: at least one name, each a string within the key limit; the empty channel is one', () => {
    expect(subscribeRequest(Op.SUBSCRIBE, ['news', ''], LIMITS)).toEqual([Op.SUBSCRIBE, 0, ['news', '']]);
    expect(subscribeRequest(Op.PSUBSCRIBE, ['n*'], LIMITS)).toEqual([Op.PSUBSCRIBE, 0, ['n*']]);
    expect(thrown(() => subscribeRequest(Op.SUBSCRIBE, [], LIMITS)).message).toMatch(/at least one/);
    expect(thrown(() => subscribeRequest(Op.SUBSCRIBE, [3 as unknown as string], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(thrown(() => subscribeRequest(Op.SUBSCRIBE, ['x'.repeat(17)], LIMITS)).code).toBe(ErrorCode.TOO_LARGE);
    expect(decodeSubscribed(2)).toBe(2);
    expect(thrown(() => decodeSubscribed('2')).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });

  test('UNSUBSCRIBE names the stream by the id of its SUBSCRIBE request; answers whether it was open', () => {
    expect(unsubscribeRequest(41)).toEqual([Op.UNSUBSCRIBE, 0, 41]);
    expect(decodeUnsubscribed(true)).toBe(true);
    expect(thrown(() => decodeUnsubscribed(1)).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });

  test('PUBLISH: channel and bytes (a string is sent as UTF-8) within the limits; not retried (it may have been delivered)', () => {
    expect(publish.methods.publish.request(LIMITS, ['ch', 'hé'])).toEqual([Op.PUBLISH, 0, 'ch', Buffer.from('hé')]);
    expect(publish.methods.publish.retryable).toBe(false);
    expect(thrown(() => publish.methods.publish.request(LIMITS, ['ch', 'x'.repeat(33)])).code).toBe(ErrorCode.TOO_LARGE);
    expect(thrown(() => publish.methods.publish.request(LIMITS, [null as unknown as string, 'x'])).code).toBe(ErrorCode.BAD_REQUEST);
    expect(publish.methods.publish.decode(3)).toBe(3);
    expect(thrown(() => publish.methods.publish.decode(-1)).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });

  test('PUBSUB CHANNELS [pattern] and NUMSUB (with NUMPAT): requests and answers', () => {
    expect(pubsubChannels.methods.pubsubChannels.request(LIMITS, [])).toEqual([Op.PUBSUB_CHANNELS, 0, null]);
    expect(pubsubChannels.methods.pubsubChannels.request(LIMITS, ['n*'])).toEqual([Op.PUBSUB_CHANNELS, 0, 'n*']);
    expect(pubsubChannels.methods.pubsubChannels.decode(['a', 'b'])).toEqual(['a', 'b']);
    expect(thrown(() => pubsubChannels.methods.pubsubChannels.decode([1])).code).toBe(ErrorCode.PROTOCOL_ERROR);
    const numsub = pubsubNumsub.methods.pubsubNumsub;
    expect(numsub.request(LIMITS, [['a', 'b']])).toEqual([Op.PUBSUB_NUMSUB, 0, ['a', 'b']]);
    expect(numsub.decode([[2, 0], 1], [['a', 'b']])).toEqual({ channels: { a: 2, b: 0 }, patterns: 1 });
    for (const bad of [[[2], 1], [[2, 0]], [[2, -1], 1], null]) expect(thrown(() => numsub.decode(bad, [['a', 'b']])).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});
