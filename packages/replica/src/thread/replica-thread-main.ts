/**
 * The embedded replica's worker thread (started by replica-thread.ts): opens the SQLite
 * store, runs a Replica over the PortTransport to the router in the main thread, and stops
 * when told to.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PortTransport, forwardingLogger, toKvndbError } from '@kvndb/shared';
import { Replica } from '../replica';
import { DataFileLockedError } from '../store/file-lock';
import { SqliteStore } from '../store/sqlite-store';
import type { FromReplicaThread, ReplicaThreadData, ToReplicaThread } from './replica-thread';

/**
 * TEST ONLY: after applying this many writes, the thread exits (code 70) as a crashed
 * thread would, between committing a group and acknowledging it. The fault tests of the
 * embedded replica's thread use it (test/standalone-thread.test.ts); nothing else sets it.
 */
const EXIT_AFTER_WRITES_ENV = 'KVNDB_TEST_REPLICA_THREAD_EXIT_AFTER_WRITES';

const port = parentPort!;
const data = workerData as ReplicaThreadData;
const send = (m: FromReplicaThread): void => port.postMessage(m);

function main(): void {
  let store: SqliteStore;
  try {
    store = new SqliteStore(data.file, { sync: data.sync, cacheBytes: data.cacheBytes });
  } catch (err) {
    const e = toKvndbError(err);
    send({
      failed:
        err instanceof DataFileLockedError
          ? { message: e.message, lockFile: err.lockFile, holderPid: err.holderPid }
          : { message: e.message },
    });
    data.link.close();
    port.close();
    return;
  }
  exitAfterWritesForTests(store);
  const logger = forwardingLogger((level, message) => send({ log: [level, message] }), data.verbose);
  const replica = new Replica({
    transport: new PortTransport(data.link, data.name, true),
    password: data.password,
    name: data.name,
    reset: false,
    store,
    logger,
  });
  replica.on('in-sync', () => send({ inSync: true }));
  port.on('message', (m: ToReplicaThread) => {
    if (!('stop' in m)) return;
    replica.stop().then(
      () => {
        // Nothing left to keep the thread alive: it ends, and the main thread sees it exit.
        data.link.close();
        port.close();
      },
      (err: unknown) => {
        send({ log: ['error', `cannot stop the embedded replica cleanly: ${toKvndbError(err).message}`] });
        process.exit(1);
      },
    );
  });
  replica.start();
  send({ opened: true });
}

function exitAfterWritesForTests(store: SqliteStore): void {
  const limit = Number(process.env[EXIT_AFTER_WRITES_ENV]);
  if (!(limit > 0)) return;
  const apply = store.apply.bind(store);
  let applied = 0;
  store.apply = (batches) => {
    const results = apply(batches);
    applied += batches.length;
    if (applied >= limit) process.exit(70);
    return results;
  };
}

main();
