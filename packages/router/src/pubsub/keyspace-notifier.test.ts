import type { AppliedWrite } from '../writes/write-sequencer';
import { PubSubBroker } from './broker';
import { parseNotifyFlags } from './keyspace-events';
import { KeyspaceNotifier } from './keyspace-notifier';
import { Subscriber } from './subscriber';

class Recorder extends Subscriber {
  got: string[] = [];
  message(channel: string, payload: Buffer): void {
    this.got.push(`${channel} ${payload.toString()}`);
  }
  pmessage(_pattern: string, channel: string, payload: Buffer): void {
    this.got.push(`${channel} ${payload.toString()}`);
  }
}

function setup() {
  const observers: Array<(w: AppliedWrite) => void> = [];
  let observeCalls = 0;
  const broker = new PubSubBroker();
  const notifier = new KeyspaceNotifier(broker, (observer) => {
    observeCalls++;
    observers.push(observer);
    return () => observers.splice(observers.indexOf(observer), 1);
  });
  const write = (seq: number, ops: AppliedWrite['ops'], results: AppliedWrite['results']): void => {
    for (const o of observers) o({ epoch: 1, seq, time: 1000, ops, results });
  };
  const flags = (text: string): void => notifier.setFlags(parseNotifyFlags(text) as number);
  return { broker, notifier, observers, write, flags, observeCalls: () => observeCalls };
}

describe('KeyspaceNotifier', () => {
  test('off by default, and while the flags fire nothing (no class, or neither K nor E) writes are not observed at all', () => {
    const t = setup();
    expect(t.notifier.active).toBe(false);
    expect(t.observeCalls()).toBe(0);
    for (const f of ['', 'K', 'E', 'KE', 'A', 'g$x']) {
      t.flags(f);
      expect(t.observers).toHaveLength(0);
    }
    t.flags('KEA');
    expect(t.observers).toHaveLength(1);
    t.flags('Ex');
    expect(t.observers).toHaveLength(1);
    t.flags('');
    expect(t.observers).toHaveLength(0);
    expect(t.notifier.config).toBe('');
  });

  test("keyspace then keyevent channel, only the classes and kinds asked for, in the writes' order", () => {
    const t = setup();
    const r = new Recorder();
    t.broker.psubscribe(r, '__key*__:*');
    t.flags('KEA');
    t.write(1, [['s', 'k', Buffer.from('v')], ['d', 'gone']], [true, true]);
    t.flags('E$');
    t.write(2, [['s', 'k', Buffer.from('v')], ['d', 'k']], [true, true]);
    t.flags('Kx');
    t.write(3, [['x', 10]], [[['e1'], 0]]);
    expect(r.got).toEqual([
      '__keyspace@0__:k set',
      '__keyevent@0__:set k',
      '__keyspace@0__:gone del',
      '__keyevent@0__:del gone',
      '__keyevent@0__:set k',
      '__keyspace@0__:e1 expired',
    ]);
  });

  test('a UTF-8 key travels as its bytes, as Redis channels are', () => {
    const t = setup();
    const r = new Recorder();
    t.broker.subscribe(r, Buffer.from('__keyspace@0__:clé', 'utf8').toString('latin1'));
    t.flags('K$');
    t.write(1, [['s', 'clé', Buffer.from('v')]], [true]);
    expect(r.got).toHaveLength(1);
  });
});
