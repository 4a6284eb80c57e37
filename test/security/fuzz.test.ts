/**
 * Hostile input against a real router process: thousands of seeded cases of junk from
 * many connections (random bytes, truncated frames, wrong types and arities, oversized
 * length prefixes, handshake messages out of order), before and after authentication, and
 * a fake replica (right replica password) sending a malformed snapshot / write-ack stream.
 * Throughout, a well-behaved client does set/get and must see no error; at the end the
 * router is still running and its memory has stayed bounded.
 * Seed: KVNDB_FUZZ_SEED (default 20261121), so a failing run can be replayed.
 */
import { Op, PROTOCOL_VERSION, type FramedConnection } from '@kvndb/shared';
import type { KvndbClient } from '@kvndb/client';
import { client, sleep, startReplica, startRouter, stopAll, waitInSync, type RouterHandle } from '../helpers/cluster';
import { Rng, authedConn, frame, hello, rawFrame, rssBytes, sendAndCollect } from './harness';

const SEED = Number(process.env.KVNDB_FUZZ_SEED ?? 20261121);
const PASSWORD = 'fuzz-client-pw';
const REPLICA_PASSWORD = 'fuzz-replica-pw';
const MiB = 1024 * 1024;

/** Sets and reads back its own keys until stopped; any error or wrong value is counted. */
class GoodClient {
  ops = 0;
  errors: string[] = [];
  private stopped = false;
  private done: Promise<void> = Promise.resolve();
  constructor(private readonly db: KvndbClient) {}
  start(): this {
    this.done = (async () => {
      let i = 0;
      while (!this.stopped) {
        const key = `good:${i % 200}`;
        const value = `value-${i}`;
        try {
          await this.db.set(key, value);
          const got = await this.db.get(key);
          if (got !== value) this.errors.push(`get ${key}: expected ${value}, got ${String(got)}`);
          this.ops += 2;
        } catch (err) {
          this.errors.push(`${key}: ${(err as Error).message}`);
        }
        i++;
      }
    })();
    return this;
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

let router: RouterHandle;
let db: KvndbClient;

beforeAll(async () => {
  // write-ack one: a fake replica that reaches in-sync and then drops out is, to the write
  // protocol, a replica that crashed; under majority that legitimately fails the good client's
  // writes it was counted for (TIMEOUT "applied by 1 of 2"). Robustness is what is tested here.
  router = await startRouter(['--password', PASSWORD, '--replica-password', REPLICA_PASSWORD, '--write-ack', 'one']);
  startReplica('memory', router.port, { name: 'real', args: ['--password', REPLICA_PASSWORD] });
  db = await client(router.port, { password: PASSWORD });
  await waitInSync(db, 1);
});

afterAll(async () => {
  await db?.close();
  await stopAll();
});

/** One hostile case from an unauthenticated connection. */
function preAuthCase(rng: Rng): Buffer | Buffer[] {
  const valid = hello('client', { name: 'fuzz' });
  switch (rng.int(9)) {
    case 0:
      return rng.bytes(1 + rng.int(300));
    case 1:
      return valid.subarray(0, 1 + rng.int(valid.length - 1)); // truncated frame
    case 2:
      return rawFrame(rng.pick([0xffffffff, 0x80000000, 65 * MiB + 1, 2 ** 30]), rng.bytes(rng.int(64)));
    case 3:
      return rawFrame(0);
    case 4: // out of order: AUTH, WELCOME, CHALLENGE or a request before HELLO
      return frame(
        rng.pick([
          [Op.AUTH, rng.bytes(32)],
          [Op.WELCOME, {}],
          [Op.CHALLENGE, PROTOCOL_VERSION, rng.bytes(32)],
          [Op.GET, 1, 'k'],
          [Op.SET, 1, 'k', Buffer.from('v')],
          [Op.STATUS, 1],
        ]),
      );
    case 5: // HELLO twice, or HELLO then a request instead of AUTH
      return Buffer.concat([valid, rng.next() < 0.5 ? valid : frame([Op.GET, 1, 'good:1'])]);
    case 6: // malformed HELLOs
      return frame(
        rng.pick([
          [Op.HELLO, 99, 'client', {}],
          [Op.HELLO, PROTOCOL_VERSION, 'admin', {}],
          [Op.HELLO, PROTOCOL_VERSION, 'replica', { name: 5 }],
          [Op.HELLO, PROTOCOL_VERSION, 'replica', { name: 'x', epoch: -1, seq: 'a' }],
        [Op.HELLO, PROTOCOL_VERSION, 'replica', { name: 'x', epoch: 0, seq: 0 }], // then no AUTH
          [Op.HELLO, PROTOCOL_VERSION],
          [Op.HELLO, PROTOCOL_VERSION, 'client', rng.value()],
        ]),
      );
    case 7: // a random plain value as a frame
      return frame(rng.value());
    default: // a frame dribbled in pieces
      return [valid.subarray(0, 3), valid.subarray(3, 7), rng.bytes(rng.int(20))];
  }
}

/** One hostile message after a correct client handshake. */
function postAuthCase(rng: Rng): Buffer {
  const id = 1 + rng.int(1000);
  switch (rng.int(8)) {
    case 0:
      return rng.bytes(1 + rng.int(200));
    case 1:
      return rawFrame(rng.pick([0xffffffff, 65 * MiB + 1]), rng.bytes(8));
    case 2: // right opcode, wrong arity
      return frame([rng.pick([Op.GET, Op.SET, Op.DEL, Op.MGET, Op.KEYS, Op.BATCH, Op.PING]), id, ...Array.from({ length: 4 + rng.int(4) }, () => rng.value())]);
    case 3: // right arity, wrong types
      return frame(rng.pick([
        [Op.GET, id, rng.value()],
        [Op.SET, id, rng.value(), rng.value()],
        [Op.SET, id, 'fuzz:k', Buffer.from('v'), rng.value()],
        [Op.MGET, id, rng.value()],
        [Op.KEYS, id, rng.value(), rng.value(), rng.value()],
        [Op.BATCH, id, [rng.value(), rng.value()]],
        [Op.MSET, id, [[rng.value(), rng.value()]]],
        [Op.GET, rng.value(), 'k'],
        [Op.GET, -5, 'k'],
      ]));
    case 4: // handshake or replication messages from a client
      return frame(rng.pick([
        [Op.HELLO, PROTOCOL_VERSION, 'client', {}],
        [Op.AUTH, rng.bytes(32)],
        [Op.WRITE, 1, 1, [['s', 'fuzz:x', Buffer.from('v')]]],
        [Op.WRITE_ACK, 1, [true]],
        [Op.SNAPSHOT_CHUNK, 1, [['a', Buffer.from('b')]]],
        [Op.RESULT, id, 'x'],
        [rng.int(256), id],
      ]));
    case 5:
      return frame(rng.value());
    case 6: // a truncated valid request
      return frame([Op.SET, id, 'fuzz:t', rng.bytes(100)]).subarray(0, 10 + rng.int(90));
    default: // a valid request followed by junk
      return Buffer.concat([frame([Op.GET, id, 'good:1']), rng.bytes(1 + rng.int(50))]);
  }
}

test('thousands of malformed client cases: router survives, memory bounded, good client unaffected', async () => {
  const rng = new Rng(SEED);
  const pid = router.proc.child.pid!;
  const good = new GoodClient(db).start();
  await sleep(500);
  const rssBefore = rssBytes(pid);

  const CASES = 4000;
  const WORKERS = 32;
  let next = 0;
  let authed = 0;
  const cases: Array<() => Promise<void>> = [];
  for (let i = 0; i < CASES; i++) {
    if (rng.int(4) === 0) {
      const payload = postAuthCase(rng);
      cases.push(async () => {
        let conn: FramedConnection | undefined;
        try {
          ({ conn } = await authedConn(router.port, 'client', PASSWORD));
          authed++;
          conn.onMessage = () => {};
          conn.stream.write(payload);
          await sleep(15);
        } finally {
          conn?.close();
        }
      });
    } else {
      const payload = preAuthCase(rng);
      cases.push(async () => {
        await sendAndCollect(router.port, payload, 15);
      });
    }
  }
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (next < cases.length) await cases[next++]();
    }),
  );
  const fuzzMs = Date.now() - t0;
  await sleep(1500);
  const rssAfter = rssBytes(pid);
  await good.stop();

  console.log(
    `client fuzz: ${CASES} cases (${authed} after auth) in ${fuzzMs} ms, seed ${SEED}; good client ${good.ops} ops; ` +
      `router RSS ${(rssBefore / MiB).toFixed(1)} -> ${(rssAfter / MiB).toFixed(1)} MiB`,
  );
  expect(router.proc.running).toBe(true);
  expect(good.errors).toEqual([]);
  expect(good.ops).toBeGreaterThan(0);
  expect(authed).toBeGreaterThan(CASES / 8);
  expect(rssAfter).toBeLessThan(rssBefore + 200 * MiB);
  // Still serving new connections.
  expect(await db.ping()).toBeUndefined();
});

/** One malformed message from a replica connection during its (full) resync. */
function replicaCase(rng: Rng, resyncId: number): Buffer {
  const id = rng.next() < 0.5 ? resyncId : rng.int(10);
  switch (rng.int(12)) {
    case 0:
      return frame([Op.SNAPSHOT_CHUNK, id, rng.pick([rng.value(), [[rng.value(), rng.value()]], [['k', rng.bytes(10)]]])]);
    case 1:
      return frame([Op.SNAPSHOT_END, id, rng.value()]);
    case 2:
      return frame([Op.SNAPSHOT_ACK, id, rng.pick([2 ** 40, -1, 0, 1e9, rng.value()])]);
    case 3:
      return frame([Op.SNAPSHOT_ABORT, rng.value(), rng.value()]);
    case 4:
      return frame([Op.WRITE_ACK, rng.pick([rng.int(1e6), -1, 2 ** 52, 0]), rng.pick([[true], ['x'], [[true, 5]], rng.value()])]);
    case 5:
      return rng.next() < 0.5
        ? frame([Op.WRITE_ACK, rng.value(), rng.value()])
        : frame([Op.WRITE_ACKS, rng.pick([rng.int(1e6), -1, 2 ** 52, 0, rng.value()]), rng.pick([[[true]], [[true], 'x'], [[[true, 5]]], [], rng.value()])]);
    // Answers to reads nobody sent (ids the router never used). A replica answering real
    // reads with false data is outside what a router can detect: holding the replica
    // password means being trusted with the data (docs/SECURITY.md).
    case 6:
      return frame([Op.RESULT, 1e9 + rng.int(50), rng.value()]);
    case 7:
      return frame([Op.ERROR, rng.pick([0, 1e9 + rng.int(50)]), rng.value(), rng.value(), rng.value()]);
    case 8:
      return frame(rng.value());
    case 9:
      return rawFrame(rng.pick([0xffffffff, 65 * MiB + 1]), rng.bytes(4));
    case 10:
      return rng.bytes(1 + rng.int(100));
    default:
      return frame([rng.pick([Op.WRITE, Op.SYNC_START, Op.SNAPSHOT_REQUEST, Op.HELLO, Op.AUTH, 99]), rng.value(), rng.value()]);
  }
}

test('a fake replica with the right password sending a malformed snapshot / write-ack stream', async () => {
  const rng = new Rng(SEED + 1);
  const pid = router.proc.child.pid!;
  const good = new GoodClient(db).start();
  await sleep(300);
  const rssBefore = rssBytes(pid);

  const SESSIONS = 600;
  let sent = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: 3 }, async () => {
      while (next < SESSIONS) {
        const n = next++;
        let conn: FramedConnection | undefined;
        try {
          // Epoch 0: never the router's, so the fake gets a full resync. It is in sync only
          // after acknowledging every chunk, which the fuzzed acks almost never do (an in-sync
          // replica is trusted with the data; that trust is the replica password's). If one
          // does and then vanishes, reads retried from it go to a replica proven by answers.
          ({ conn } = await authedConn(router.port, 'replica', REPLICA_PASSWORD, { name: `fake-${n}`, epoch: 0, seq: 0, reset: false }));
          let resyncId = 0;
          conn.onMessage = (msg) => {
            if (Array.isArray(msg) && msg[0] === Op.SYNC_START && msg[4] && typeof msg[4].resyncId === 'number') resyncId = msg[4].resyncId;
          };
          await sleep(10);
          const burst = 5 + rng.int(20);
          for (let i = 0; i < burst && !conn.isClosed; i++) {
            conn.stream.write(replicaCase(rng, resyncId));
            sent++;
            if (rng.int(4) === 0) await sleep(2);
          }
          await sleep(10);
        } finally {
          conn?.close();
        }
      }
    }),
  );
  await sleep(1500);
  const rssAfter = rssBytes(pid);
  await good.stop();
  console.log(
    `replica fuzz: ${SESSIONS} fake replica sessions, ${sent} messages, seed ${SEED + 1}; good client ${good.ops} ops; ` +
      `router RSS ${(rssBefore / MiB).toFixed(1)} -> ${(rssAfter / MiB).toFixed(1)} MiB`,
  );
  expect(router.proc.running).toBe(true);
  expect(good.errors).toEqual([]);
  expect(sent).toBeGreaterThan(2000);
  expect(rssAfter).toBeLessThan(rssBefore + 200 * MiB);
  // The real replica is still in sync and serving.
  const status = await db.status();
  expect(status.replicas.filter((r) => r.name === 'real' && r.state === 'in-sync')).toHaveLength(1);
});
