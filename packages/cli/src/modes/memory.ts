import os from 'node:os';
import type { CommandModule } from 'yargs';
import { MemoryStore } from '@kvndb/replica';
import { guarded } from '../run-handler';
import { runReplica, withReplicaOptions } from './replica-options';
import type { ReplicaArgs } from './replica-options';

export const memoryMode: CommandModule = {
  command: 'memory [HOST] [PORT]',
  describe: 'run an in-memory replica attached to the router at HOST:PORT',
  builder: (y) =>
    withReplicaOptions(y)
      .example('$0 memory', 'attach to the router at 127.0.0.1:54565')
      .example('KVNDB_REPLICA_PASSWORD=r3pl $0 memory 10.0.0.5 54565 --name mem-1', 'a named replica of a remote router')
      .example('$0 memory -H 10.0.0.5 -p 54565', 'the same address as options'),
  handler: guarded(async (argv) => {
    runReplica(argv as unknown as ReplicaArgs, () => `memory@${os.hostname()}:${process.pid}`, () => new MemoryStore());
  }),
};
