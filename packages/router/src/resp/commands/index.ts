import { isUtf8 } from 'node:buffer';
import { ErrorCode, KVNDB_VERSION, KvndbError, Op } from '@kvndb/shared';
import type { RespSession } from '../resp-session';
import * as R from '../resp-encoder';
import { globToRegExp, literalPrefix } from '../glob';

/** Answers one command: called once with its RESP reply. */
export type Done = (reply: Buffer) => void;
export type Handler = (s: RespSession, args: Buffer[], done: Done) => void;

export const PRE_AUTH = new Set(['auth', 'hello', 'quit', 'ping']);

const errorReply = R.errorReply;
class RespArgError extends Error {}

export function key(buf: Buffer): string {
  return keyIn(buf, 0, buf.length);
}

/** The key in bytes start..end of data, which must be UTF-8. */
export function keyIn(data: Buffer, start: number, end: number): string {
  // Short ASCII keys (the usual case) are checked in JS: cheaper than a native isUtf8 call.
  if (end - start <= 64) {
    let i = start;
    while (i < end && data[i] < 0x80) i++;
    if (i === end) return data.toString('latin1', start, end);
  }
  const bytes = data.subarray(start, end);
  if (!isUtf8(bytes)) throw new KvndbError(ErrorCode.BAD_REQUEST, 'kvndb keys are UTF-8 strings; this key is not valid UTF-8');
  return bytes.toString('utf8');
}

function arity(args: Buffer[], min: number, max = Infinity): void {
  if (args.length < min || args.length > max) {
    throw new RespArgError(`ERR wrong number of arguments for '${args[0].toString().toLowerCase()}' command`);
  }
}

function withArity(min: number, max: number, handler: Handler): Handler {
  return (s, args, done) => {
    try {
      arity(args, min, max);
    } catch (err) {
      done(R.error((err as Error).message));
      return;
    }
    handler(s, args, done);
  };
}

const toBulk = (v: unknown): Buffer => R.bulk(v as Uint8Array | null);

export const COMMANDS: Record<string, Handler> = {
  ping: withArity(1, 2, (_s, args, done) => done(args.length === 2 ? R.bulk(args[1]) : R.PONG)),
  echo: withArity(2, 2, (_s, args, done) => done(R.bulk(args[1]))),
  quit: (_s, _args, done) => done(R.OK),
  select: withArity(2, 2, (_s, args, done) =>
    done(args[1].toString() === '0' ? R.OK : R.error('ERR DB index is out of range (kvndb has one keyspace)')),
  ),
  auth: withArity(2, 3, (s, args, done) => {
    const pass = args[args.length - 1];
    if (args.length === 3 && args[1].toString() !== 'default') {
      done(R.error('WRONGPASS invalid username-password pair or user is disabled.'));
      return;
    }
    if (!s.server.options.password) {
      done(R.error('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?'));
      return;
    }
    if (s.server.checkPassword(pass)) {
      s.login();
      done(R.OK);
    } else {
      s.server.logger.warn(`RESP authentication failed from ${s.address}`);
      // Delay the refusal, as the native handshake does, to slow down guessing.
      setTimeout(() => done(R.error('WRONGPASS invalid username-password pair or user is disabled.')), 200);
    }
  }),
  hello: (s, args, done) => {
    let i = 1;
    if (args.length > 1) {
      const proto = Number(args[1].toString());
      if (proto !== 2) {
        done(R.error('NOPROTO this server does not support the requested protocol version (kvndb speaks RESP2)'));
        return;
      }
      i = 2;
    }
    for (; i < args.length; i++) {
      const opt = args[i].toString().toLowerCase();
      if (opt === 'auth' && i + 2 < args.length) {
        if (!s.server.checkPassword(args[i + 2]) && s.server.options.password) {
          done(R.error('WRONGPASS invalid username-password pair or user is disabled.'));
          return;
        }
        s.login();
        i += 2;
      } else if (opt === 'setname' && i + 1 < args.length) {
        i += 1;
      } else {
        done(R.error(`ERR Syntax error in HELLO option '${opt}'`));
        return;
      }
    }
    if (!s.authed) {
      done(R.error('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time'));
      return;
    }
    done(R.array(['server', 'kvndb', 'version', KVNDB_VERSION, 'proto', 2, 'id', 1, 'mode', 'standalone', 'role', 'master', 'modules', []]));
  },
  command: (_s, args, done) => {
    const sub = args[1]?.toString().toLowerCase();
    if (sub === 'count') done(R.integer(Object.keys(COMMANDS).length));
    else done(R.EMPTY_ARRAY);
  },
  config: withArity(2, Infinity, (_s, args, done) => {
    const sub = args[1].toString().toLowerCase();
    if (sub !== 'get') {
      done(R.error(`ERR kvndb does not support CONFIG ${sub.toUpperCase()}`));
      return;
    }
    const known: Record<string, string> = { save: '', appendonly: 'no', databases: '1' };
    const out: string[] = [];
    for (const p of args.slice(2)) {
      const name = p.toString().toLowerCase();
      if (name in known) out.push(name, known[name]);
    }
    done(R.array(out));
  }),
  client: withArity(2, Infinity, (_s, args, done) => {
    const sub = args[1].toString().toLowerCase();
    if (sub === 'setname' || sub === 'setinfo' || sub === 'no-evict' || sub === 'no-touch' || sub === 'reply') done(R.OK);
    else if (sub === 'getname') done(R.NULL_BULK);
    else if (sub === 'id') done(R.integer(1));
    else done(R.error(`ERR kvndb does not support CLIENT ${sub.toUpperCase()}`));
  }),
  info: (s, _args, done) => {
    const st = s.status();
    const lines = [
      '# Server',
      `redis_version:7.0.0`,
      `kvndb_version:${st.version}`,
      `uptime_in_seconds:${Math.floor(st.uptimeMs / 1000)}`,
      '# Clients',
      `connected_clients:${st.clients}`,
      '# Replication',
      'role:master',
      `kvndb_epoch:${st.epoch}`,
      `kvndb_seq:${st.seq}`,
      `kvndb_write_ack:${st.writeAck}`,
      `connected_slaves:${st.replicas.length}`,
      ...st.replicas.map((r, i) => `slave${i}:name=${r.name},state=${r.state},seq=${r.seq},lag=${r.lag}`),
      '# Stats',
      `kvndb_reads:${st.ops.reads}`,
      `kvndb_writes:${st.ops.writes}`,
      `instantaneous_ops_per_sec:${Math.round(st.ops.readsPerSec + st.ops.writesPerSec)}`,
    ];
    done(R.bulk(lines.join('\r\n') + '\r\n'));
  },
  get: withArity(2, 2, (s, args, done) => s.call([Op.GET, 0, key(args[1])], done, toBulk)),
  set: withArity(3, Infinity, (s, args, done) => {
    const flags: { nx?: boolean; xx?: boolean; get?: boolean } = {};
    for (let i = 3; i < args.length; i++) {
      const opt = args[i].toString().toLowerCase();
      if (opt === 'nx') flags.nx = true;
      else if (opt === 'xx') flags.xx = true;
      else if (opt === 'get') flags.get = true;
      else if (opt === 'keepttl') continue;
      else if (opt === 'ex' || opt === 'px' || opt === 'exat' || opt === 'pxat') {
        done(R.error('ERR kvndb does not support key expiry (EX/PX/EXAT/PXAT)'));
        return;
      } else {
        done(R.error('ERR syntax error'));
        return;
      }
    }
    if (flags.nx && flags.xx) {
      done(R.error('ERR syntax error'));
      return;
    }
    const hasFlags = flags.nx || flags.xx || flags.get;
    s.call([Op.SET, 0, key(args[1]), args[2], hasFlags ? flags : null], done, (result) => {
      if (flags.get) {
        const prev = Array.isArray(result) ? (result[1] as Uint8Array | null) : null;
        return R.bulk(prev);
      }
      const applied = Array.isArray(result) ? result[0] : result;
      return applied === false ? R.NULL_BULK : R.OK;
    });
  }),
  setnx: withArity(3, 3, (s, args, done) =>
    s.call([Op.SET, 0, key(args[1]), args[2], { nx: true }], done, (r) => R.integer(r === false ? 0 : 1)),
  ),
  del: withArity(2, Infinity, (s, args, done) => deleteKeys(s, args, done)),
  unlink: withArity(2, Infinity, (s, args, done) => deleteKeys(s, args, done)),
  exists: withArity(2, Infinity, (s, args, done) => {
    const keys = args.slice(1).map(key);
    s.call([Op.MGET, 0, keys], done, (values) => R.integer((values as unknown[]).filter((v) => v !== null && v !== undefined).length));
  }),
  mget: withArity(2, Infinity, (s, args, done) =>
    s.call([Op.MGET, 0, args.slice(1).map(key)], done, (values) => R.array(values as Array<Uint8Array | null>)),
  ),
  mset: (s, args, done) => {
    if (args.length < 3 || args.length % 2 === 0) {
      done(R.error("ERR wrong number of arguments for 'mset' command"));
      return;
    }
    const entries: Array<[string, Buffer]> = [];
    for (let i = 1; i < args.length; i += 2) entries.push([key(args[i]), args[i + 1]]);
    s.call([Op.MSET, 0, entries], done, () => R.OK);
  },
  keys: withArity(2, 2, (s, args, done) => {
    const pattern = args[1].toString('utf8');
    collectKeys(s, pattern, s.server.maxKeysReply).then(
      (keys) => done(R.array(keys)),
      (err) => done(errorReply(err)),
    );
  }),
  scan: withArity(2, Infinity, (s, args, done) => {
    let pattern = '*';
    let count = 10;
    for (let i = 2; i < args.length; i += 2) {
      const opt = args[i].toString().toLowerCase();
      const val = args[i + 1]?.toString();
      if (val === undefined) {
        done(R.error('ERR syntax error'));
        return;
      }
      if (opt === 'match') pattern = val;
      else if (opt === 'count') {
        count = Number(val);
        if (!Number.isInteger(count) || count < 1) {
          done(R.error('ERR value is not an integer or out of range'));
          return;
        }
      } else if (opt === 'type') continue;
      else {
        done(R.error('ERR syntax error'));
        return;
      }
    }
    const cursorArg = args[1].toString();
    let after: string | null = null;
    if (cursorArg !== '0') {
      after = Buffer.from(cursorArg, 'base64url').toString('utf8');
      if (!after) {
        done(R.error('ERR invalid cursor'));
        return;
      }
    }
    const prefix = literalPrefix(pattern);
    const re = globToRegExp(pattern);
    s.request([Op.KEYS, 0, prefix, Math.min(count, 10000), after]).then(
      (page) => {
        const [keys, next] = page as [string[], string | null];
        const cursor = next ? Buffer.from(next, 'utf8').toString('base64url') : '0';
        done(R.array([cursor, keys.filter((k) => re.test(k))]));
      },
      (err) => done(errorReply(err)),
    );
  }),
  dbsize: withArity(1, 1, (s, _args, done) => {
    countKeys(s).then(
      (n) => done(R.integer(n)),
      (err) => done(errorReply(err)),
    );
  }),
};

function deleteKeys(s: RespSession, args: Buffer[], done: Done): void {
  const ops = args.slice(1).map((a) => ['d', key(a)]);
  s.call([Op.BATCH, 0, ops], done, (results) => R.integer((results as unknown[]).filter((r) => r === true).length));
}

async function collectKeys(s: RespSession, pattern: string, max: number): Promise<string[]> {
  const prefix = literalPrefix(pattern);
  const re = globToRegExp(pattern);
  const out: string[] = [];
  let cursor: string | null = null;
  do {
    const [keys, next] = (await s.request([Op.KEYS, 0, prefix, 10000, cursor])) as [string[], string | null];
    for (const k of keys) if (re.test(k)) out.push(k);
    if (out.length > max) {
      throw new KvndbError(ErrorCode.TOO_LARGE, `KEYS would return more than ${max} keys; use SCAN to page through them`);
    }
    cursor = next;
  } while (cursor);
  return out;
}

async function countKeys(s: RespSession): Promise<number> {
  let n = 0;
  let cursor: string | null = null;
  do {
    const [keys, next] = (await s.request([Op.KEYS, 0, '', 10000, cursor])) as [string[], string | null];
    n += keys.length;
    cursor = next;
  } while (cursor);
  return n;
}
