import type { RouterStatus } from '@kvndb/shared';
import * as R from '../resp-encoder';
import { keyspaceCounts, type KeyspaceCounts } from '../keyspace';
import type { RespSession } from '../resp-session';
import { REDIS_VERSION } from './hello';
import type { RespCommand } from './resp-command';

type Section = (s: RespSession, st: RouterStatus, keyspace: KeyspaceCounts | Error | null) => string[];

/** INFO's sections, in Redis's order. Field names are Redis's; kvndb's own start with kvndb_. */
const SECTIONS: Record<string, Section> = {
  server: (s, st) => [
    `redis_version:${REDIS_VERSION}`,
    'redis_mode:standalone',
    `kvndb_version:${st.version}`,
    `process_id:${process.pid}`,
    `tcp_port:${s.server.address.port}`,
    `uptime_in_seconds:${Math.floor(st.uptimeMs / 1000)}`,
    `uptime_in_days:${Math.floor(st.uptimeMs / 86_400_000)}`,
  ],
  clients: (s, st) => [
    // Everyone connected to this router: RESP connections and native client sessions.
    `connected_clients:${s.server.connections.size + st.clients}`,
    `kvndb_resp_clients:${s.server.connections.size}`,
    `kvndb_native_clients:${st.clients}`,
  ],
  replication: (_s, st) => [
    'role:master',
    `connected_slaves:${st.replicas.length}`,
    ...st.replicas.map((r, i) => `slave${i}:name=${r.name},addr=${r.address},state=${r.state},offset=${r.seq},lag=${r.lag}`),
    `master_repl_offset:${st.seq}`,
    `kvndb_epoch:${st.epoch}`,
    `kvndb_seq:${st.seq}`,
    `kvndb_write_ack:${st.writeAck}`,
  ],
  stats: (_s, st) => [
    `kvndb_reads:${st.ops.reads}`,
    `kvndb_writes:${st.ops.writes}`,
    `instantaneous_ops_per_sec:${Math.round(st.ops.readsPerSec + st.ops.writesPerSec)}`,
  ],
  keyspace: (_s, _st, ks) => {
    if (ks instanceof Error) return [`kvndb_keyspace_unknown:${ks.message}`];
    // Redis shows no line for an empty database.
    if (ks === null || ks.keys === 0) return [];
    return [`db0:keys=${ks.keys},expires=${ks.expires},avg_ttl=0`];
  },
};

const TITLES: Record<string, string> = { server: 'Server', clients: 'Clients', replication: 'Replication', stats: 'Stats', keyspace: 'Keyspace' };

/**
 * INFO [section ...]: the router's status in Redis's INFO layout. No section, `default`,
 * `all` or `everything`: every section; a section kvndb does not have adds nothing, as in
 * Redis. The keyspace is counted only when asked for (one COUNT read from a replica).
 */
export const info: RespCommand = {
  name: 'info',
  arity: [1, Infinity],
  run: (s, args, done) => {
    const proto = s.proto;
    const asked = new Set(args.slice(1).map((a) => a.toString().toLowerCase()));
    const every = asked.size === 0 || asked.has('all') || asked.has('everything') || asked.has('default');
    const names = Object.keys(SECTIONS).filter((n) => every || asked.has(n));
    const render = (keyspace: KeyspaceCounts | Error | null): void => {
      const st = s.status();
      const text = names.map((n) => [`# ${TITLES[n]}`, ...SECTIONS[n](s, st, keyspace)].join('\r\n') + '\r\n').join('\r\n');
      done(R.verbatim(text, proto));
    };
    if (!names.includes('keyspace')) render(null);
    else keyspaceCounts(s).then(render, (err: unknown) => render(err instanceof Error ? err : new Error(String(err))));
  },
};
