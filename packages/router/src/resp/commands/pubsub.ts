import * as R from '../resp-encoder';
import type { RespCommand } from './resp-command';

const HELP = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Prints this help.',
];

/**
 * PUBSUB CHANNELS [pattern] | NUMSUB [channel ...] | NUMPAT | HELP, in Redis 7.0's words.
 * kvndb has no sharded channels (SSUBSCRIBE): SHARDCHANNELS and SHARDNUMSUB answer none.
 */
export const pubsub: RespCommand = {
  name: 'pubsub',
  arity: [2, Infinity],
  run: (s, args, done) => {
    const broker = s.server.backend.pubsub;
    const sub = args[1].toString('latin1').toLowerCase();
    const n = args.length;
    const names = (from: number): Buffer[] => args.slice(from);
    if ((sub === 'channels' || sub === 'shardchannels') && n <= 3) {
      const channels = sub === 'channels' ? broker.channels(n === 3 ? args[2].toString('latin1') : undefined) : [];
      done(R.array(channels.map((c) => Buffer.from(c, 'latin1')), s.proto));
    } else if (sub === 'numsub' || sub === 'shardnumsub') {
      const out: R.Reply[] = [];
      for (const c of names(2)) out.push(c, sub === 'numsub' ? broker.numsub(c.toString('latin1')) : 0);
      done(R.array(out, s.proto));
    } else if (sub === 'numpat') {
      done(n === 2 ? R.integer(broker.numpat()) : R.error("ERR wrong number of arguments for 'pubsub|numpat' command"));
    } else if (sub === 'help' && n === 2) {
      done(Buffer.concat([Buffer.from(`*${HELP.length}\r\n`), ...HELP.map((l) => R.simple(l))]));
    } else if (sub === 'channels' || sub === 'shardchannels' || sub === 'help') {
      done(R.error(`ERR unknown subcommand or wrong number of arguments for '${args[1].toString()}'. Try PUBSUB HELP.`));
    } else {
      done(R.error(`ERR unknown subcommand '${args[1].toString().slice(0, 128)}'. Try PUBSUB HELP.`));
    }
  },
};
