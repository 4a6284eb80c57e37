import * as R from '../resp-encoder';
import type { RespSession } from '../resp-session';
import type { RespCommand } from './resp-command';

/**
 * SUBSCRIBE / PSUBSCRIBE / UNSUBSCRIBE / PUNSUBSCRIBE. Each channel or pattern gets its own
 * confirmation, [kind, name, subscriptions now], pushed in RESP3 and an array in RESP2, as
 * Redis answers; names are bytes (latin1 keeps them whole). UNSUBSCRIBE without names drops
 * every channel and, when there was none, answers [kind, nil, count].
 */
type Kind = 'subscribe' | 'psubscribe' | 'unsubscribe' | 'punsubscribe';

function confirm(s: RespSession, kind: Kind, name: string | null): Buffer {
  return R.push([kind, name === null ? null : Buffer.from(name, 'latin1'), s.subscriptionCount], s.proto);
}

function subscribing(kind: 'subscribe' | 'psubscribe'): RespCommand {
  return {
    name: kind,
    arity: [2, Infinity],
    whenSubscribed: true,
    run: (s, args, done) => {
      const sub = s.subscriptions;
      const broker = s.server.backend.pubsub;
      const out: Buffer[] = [];
      for (let i = 1; i < args.length; i++) {
        const name = args[i].toString('latin1');
        if (kind === 'subscribe') broker.subscribe(sub, name);
        else broker.psubscribe(sub, name);
        out.push(confirm(s, kind, name));
      }
      done(Buffer.concat(out));
    },
  };
}

function unsubscribing(kind: 'unsubscribe' | 'punsubscribe'): RespCommand {
  return {
    name: kind,
    arity: [1, Infinity],
    whenSubscribed: true,
    run: (s, args, done) => {
      const sub = s.subscriptions;
      const broker = s.server.backend.pubsub;
      const drop = (name: string): boolean => (kind === 'unsubscribe' ? broker.unsubscribe(sub, name) : broker.punsubscribe(sub, name));
      const out: Buffer[] = [];
      const names = args.length > 1 ? args.slice(1).map((a) => a.toString('latin1')) : [...(kind === 'unsubscribe' ? sub.channels : sub.patterns)];
      for (const name of names) {
        drop(name);
        out.push(confirm(s, kind, name));
      }
      if (out.length === 0) out.push(confirm(s, kind, null));
      done(Buffer.concat(out));
    },
  };
}

export const subscribe = subscribing('subscribe');
export const psubscribe = subscribing('psubscribe');
export const unsubscribe = unsubscribing('unsubscribe');
export const punsubscribe = unsubscribing('punsubscribe');
