import { RouterClock } from '../router-clock';
import { FramedConnection, InProcessTransport, Op, silentLogger, type Link, type WriteResult } from '@kvndb/shared';
import { DEFAULT_WATERMARKS } from './replica-link';
import { ReplicaSet } from './replica-set';

/** Both ends of one in-process connection: the router's and the replica's. */
async function connectionPair(): Promise<{ router: FramedConnection; replica: FramedConnection }> {
  const transport = new InProcessTransport('test');
  let far: Link | undefined;
  await transport.listen((link) => (far = link));
  const near = await transport.dial();
  await new Promise((r) => process.nextTick(r));
  return {
    router: new FramedConnection(far!.stream, { address: far!.address }),
    replica: new FramedConnection(near.stream, { address: near.address }),
  };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}

test('a link hands acks to the sequencer and snapshot messages to the resync directly; the set tracks membership and tells its subscribers', async () => {
  const acks: Array<[number, number, WriteResult[]]> = [];
  const snapshots: unknown[][] = [];
  const set = new ReplicaSet(
    { ack: (id, seq, results) => acks.push([id, seq, results]) },
    { handle: (_link, msg) => snapshots.push(msg) },
    DEFAULT_WATERMARKS,
    silentLogger(),
    new RouterClock(),
  );
  const events: string[] = [];
  set.on('joined', (l) => events.push(`joined ${l.name}`));
  set.on('membership', () => events.push(`membership [${set.inSyncIds.join(',')}]`));
  set.on('state', (l, previous) => events.push(`state ${l.name} ${previous}->${l.state}`));
  set.on('gone', (l) => events.push(`gone ${l.name}`));

  const { router, replica } = await connectionPair();
  const link = set.add(7, router, { name: 'a', epoch: 0, seq: 0, reset: false });
  expect(link.address).toBe('test#1');
  link.setState('in-sync');
  expect(set.live).toEqual([link]);
  expect(set.inSyncNames()).toEqual(['a']);

  replica.send([Op.WRITE_ACKS, 1, [[true], [false]]]);
  replica.send([Op.SNAPSHOT_ACK, 3, 1]);
  await until(() => acks.length === 2 && snapshots.length === 1);
  expect(acks).toEqual([
    [7, 1, [true]],
    [7, 2, [false]],
  ]);
  expect(snapshots).toEqual([[Op.SNAPSHOT_ACK, 3, 1]]);

  replica.close();
  await until(() => set.size === 0);
  expect(set.inSyncIds).toEqual([]);
  expect(events).toEqual(['joined a', 'membership [7]', 'state a joining->in-sync', 'membership []', 'gone a']);
});

test('a replica breaking the protocol is closed with PROTOCOL_ERROR; the set forgets it', async () => {
  const set = new ReplicaSet({ ack: () => {} }, { handle: () => {} }, DEFAULT_WATERMARKS, silentLogger(), new RouterClock());
  const { router, replica } = await connectionPair();
  set.add(1, router, { name: 'b', epoch: 0, seq: 0, reset: false });
  const got: unknown[][] = [];
  replica.onMessage = (m) => got.push(m as unknown[]);
  replica.send([Op.WRITE_ACK, 'not a seq', []]);
  await until(() => set.size === 0);
  await until(() => got.length > 0);
  expect(got[0][0]).toBe(Op.ERROR);
  expect(got[0][2]).toBe('PROTOCOL_ERROR');
});
