import * as R from '../resp-encoder';
import type { RespCommand } from './resp-command';

/** INFO: the router's status in Redis's INFO layout. */
export const info: RespCommand = {
  name: 'info',
  arity: [1, Infinity],
  run: (s, _args, done) => {
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
};
