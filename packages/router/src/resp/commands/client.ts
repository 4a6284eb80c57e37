import * as R from '../resp-encoder';
import type { RespSession } from '../resp-session';
import type { RespCommand } from './resp-command';

/** Redis's rule for client names (and SETINFO values): printable ASCII, no spaces. Null if `name` is fine. */
export function checkClientName(name: string): string | null {
  return /^[!-~]*$/.test(name) ? null : 'ERR Client names cannot contain spaces, newlines or special characters.';
}

/**
 * One line of CLIENT INFO / CLIENT LIST: Redis 7.2's fields in its order, since clients
 * parse them (redis-py int()s sub, psub, multi, qbuf, ...). Fields about features kvndb has
 * not (pub/sub, MULTI, per-client memory accounting) are 0 or -1, as Redis shows them for a
 * client that uses none.
 */
export function clientLine(c: RespSession, now: number): string {
  const sock = c.socket;
  const laddr = sock.localAddress ? `${sock.localAddress.includes(':') ? `[${sock.localAddress}]` : sock.localAddress}:${sock.localPort}` : '';
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
  return (
    `id=${c.id} addr=${c.address} laddr=${laddr} fd=${fd} name=${c.name} ` +
    `age=${Math.floor((now - c.openedAt) / 1000)} idle=${Math.floor(Math.max(0, now - c.lastActiveAt) / 1000)} ` +
    `flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=${c.bufferedBytes} qbuf-free=0 argv-mem=0 multi-mem=0 ` +
    `rbs=0 rbp=0 obl=0 oll=${c.pendingReplies} omem=${sock.writableLength} tot-mem=0 events=r ` +
    `cmd=${c.lastCommand} user=default redir=-1 resp=${c.proto} lib-name=${c.libName} lib-ver=${c.libVer}\n`
  );
}

/**
 * CLIENT ID | GETNAME | SETNAME name | INFO | LIST [TYPE normal] [ID id ...] |
 * SETINFO LIB-NAME|LIB-VER value, and the subcommands clients send on connecting (NO-EVICT,
 * NO-TOUCH, REPLY): accepted and otherwise ignored.
 */
export const client: RespCommand = {
  name: 'client',
  arity: [2, Infinity],
  run: (s, args, done) => {
    const sub = args[1].toString().toLowerCase();
    const n = args.length;
    const now = Date.now();
    if (sub === 'id' && n === 2) done(R.integer(s.id));
    else if (sub === 'getname' && n === 2) done(s.name ? R.bulk(s.name) : R.nil(s.proto));
    else if (sub === 'setname' && n === 3) {
      const name = args[2].toString();
      const bad = checkClientName(name);
      if (bad) done(R.error(bad));
      else {
        s.name = name;
        done(R.OK);
      }
    } else if (sub === 'setinfo' && n === 4) {
      const attr = args[2].toString().toLowerCase();
      const value = args[3].toString();
      if (attr !== 'lib-name' && attr !== 'lib-ver') done(R.error(`ERR Unrecognized option '${args[2].toString()}'`));
      else if (checkClientName(value)) done(R.error(`ERR ${attr} cannot contain spaces, newlines or special characters.`));
      else {
        if (attr === 'lib-name') s.libName = value;
        else s.libVer = value;
        done(R.OK);
      }
    } else if (sub === 'info' && n === 2) done(R.verbatim(clientLine(s, now), s.proto));
    else if (sub === 'list') {
      const ids = listFilter(args.slice(2));
      if (typeof ids === 'string') done(R.error(ids));
      else {
        let text = '';
        for (const c of s.server.connections) if (ids === null || ids.has(c.id)) text += clientLine(c, now);
        done(R.verbatim(text, s.proto));
      }
    } else if (sub === 'no-evict' || sub === 'no-touch' || sub === 'reply') done(R.OK);
    else done(R.error(`ERR unknown subcommand or wrong number of arguments for '${args[1].toString()}'. Try CLIENT HELP.`));
  },
};

/** CLIENT LIST's filters: null = every client, a set of ids, or an error message. */
function listFilter(opts: Buffer[]): Set<number> | null | string {
  let ids: Set<number> | null = null;
  let none = false; // TYPE of a kind kvndb has no clients of
  for (let i = 0; i < opts.length; i++) {
    const opt = opts[i].toString().toLowerCase();
    if (opt === 'type' && i + 1 < opts.length) {
      const t = opts[++i].toString().toLowerCase();
      if (t === 'normal') continue;
      if (t === 'master' || t === 'replica' || t === 'slave' || t === 'pubsub') none = true;
      else return `ERR Unknown client type '${opts[i].toString()}'`;
    } else if (opt === 'id' && i + 1 < opts.length) {
      ids ??= new Set();
      for (i++; i < opts.length; i++) {
        const id = Number(opts[i].toString());
        if (!Number.isSafeInteger(id) || id < 1) return 'ERR Invalid client ID';
        ids.add(id);
      }
    } else return 'ERR syntax error';
  }
  return none ? new Set() : ids;
}
