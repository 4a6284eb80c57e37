import { PubSubBroker } from './broker';
import { Subscriber } from './subscriber';

class Recorder extends Subscriber {
  got: string[] = [];
  constructor(private readonly onMessage?: () => void) {
    super();
  }
  message(channel: string, payload: Buffer): void {
    this.got.push(`message ${channel} ${payload.toString()}`);
    this.onMessage?.();
  }
  pmessage(pattern: string, channel: string, payload: Buffer): void {
    this.got.push(`pmessage ${pattern} ${channel} ${payload.toString()}`);
  }
}

describe('PubSubBroker', () => {
  test('PUBLISH reaches channel subscribers, then pattern subscribers, and counts each delivery', () => {
    const b = new PubSubBroker();
    const a = new Recorder();
    const c = new Recorder();
    expect(b.subscribe(a, 'news.tech')).toBe(true);
    expect(b.subscribe(a, 'news.tech')).toBe(false);
    expect(b.psubscribe(a, 'news.*')).toBe(true);
    b.subscribe(c, 'news.tech');
    expect(b.publish('news.tech', Buffer.from('hi'))).toBe(3);
    expect(a.got).toEqual(['message news.tech hi', 'pmessage news.* news.tech hi']);
    expect(c.got).toEqual(['message news.tech hi']);
    expect(b.publish('news.art', Buffer.from('x'))).toBe(1);
    expect(b.publish('weather', Buffer.from('x'))).toBe(0);
    expect(a.count).toBe(2);
  });

  test('messages are not stored: a later subscriber sees only later messages', () => {
    const b = new PubSubBroker();
    expect(b.publish('ch', Buffer.from('early'))).toBe(0);
    const r = new Recorder();
    b.subscribe(r, 'ch');
    b.publish('ch', Buffer.from('late'));
    expect(r.got).toEqual(['message ch late']);
  });

  test('unsubscribe, punsubscribe and unsubscribeAll leave no empty channel or pattern behind', () => {
    const b = new PubSubBroker();
    const r = new Recorder();
    b.subscribe(r, 'a');
    b.subscribe(r, 'b');
    b.psubscribe(r, 'p*');
    expect(b.idle).toBe(false);
    expect(b.unsubscribe(r, 'a')).toBe(true);
    expect(b.unsubscribe(r, 'a')).toBe(false);
    expect(b.punsubscribe(r, 'x*')).toBe(false);
    expect(b.channels()).toEqual(['b']);
    expect(b.numpat()).toBe(1);
    b.unsubscribeAll(r);
    expect(r.count).toBe(0);
    expect(b.channels()).toEqual([]);
    expect(b.numpat()).toBe(0);
    expect(b.idle).toBe(true);
  });

  test('PUBSUB CHANNELS [pattern], NUMSUB (channels only) and NUMPAT (distinct patterns)', () => {
    const b = new PubSubBroker();
    const r1 = new Recorder();
    const r2 = new Recorder();
    b.subscribe(r1, 'news.tech');
    b.subscribe(r2, 'news.tech');
    b.subscribe(r2, 'weather');
    b.psubscribe(r1, 'news.*');
    b.psubscribe(r2, 'news.*');
    expect(b.channels().sort()).toEqual(['news.tech', 'weather']);
    expect(b.channels('news.*')).toEqual(['news.tech']);
    expect(b.numsub('news.tech')).toBe(2);
    expect(b.numsub('news.*')).toBe(0);
    expect(b.numpat()).toBe(1);
  });

  test('a subscriber cut off while a message is being delivered does not disturb the others', () => {
    const b = new PubSubBroker();
    const late = new Recorder();
    const cut: Recorder = new Recorder(() => b.unsubscribeAll(cut));
    b.subscribe(cut, 'ch');
    b.subscribe(late, 'ch');
    expect(b.publish('ch', Buffer.from('1'))).toBe(2);
    expect(b.publish('ch', Buffer.from('2'))).toBe(1);
    expect(cut.got).toEqual(['message ch 1']);
    expect(late.got).toEqual(['message ch 1', 'message ch 2']);
  });
});
