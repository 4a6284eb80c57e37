/** Joining replicas: catch-up, full resync, the join window, adoption and the router state. */
import {
  Op,
} from '@kvndb/shared';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Router } from '../index';
import {
  startRouter,
  closed,
  waitFor,
  delay,
  collecting,
  b,
  FakeClient,
  type FakeReplicaOptions,
  FakeReplica,
  replicaStatus,
  inSync,
  adoptedSource,
  twoInSync,
  heldJoiner,
  expectError,
} from '../testing/fake-peers';

describe('joining and resync', () => {
  test('incremental catch-up from the backlog after a replica reconnects', async () => {
    const router = await startRouter();
    const { a, bb } = await twoInSync(router);
    const c = await FakeClient.open(router);
    await c.request(Op.SET, 'before', b('1'), null);
    await waitFor('b applied it', () => bb.get('before') === '1');
    await bb.leave();
    // Writes sequenced before the router sees b go would count on it (and fail, correctly).
    await waitFor('the router dropped b', () => !replicaStatus(router, 'b'));
    const leftAt = bb.seq;
    for (let i = 0; i < 5; i++) await c.request(Op.SET, `k${i}`, b(String(i)), null);
    await c.request(Op.DEL, 'before');
    expect(bb.get('k0')).toBeUndefined();

    bb.syncStarts.length = 0;
    await bb.join(router);
    await waitFor('b in sync again', () => inSync(router, 'b') && bb.seq === router.status().seq);
    expect(bb.syncStarts[0].slice(0, 4)).toEqual([Op.SYNC_START, 'incremental', router.status().epoch, leftAt]);
    expect(bb.syncDone).toEqual([Op.SYNC_DONE, router.status().epoch, router.status().seq]);
    expect(bb.violations).toEqual([]);
    expect([...bb.data.entries()]).toEqual([...a.data.entries()]);
    expect(bb.get('before')).toBeUndefined();
    await waitFor('the router has b\'s acks', () => replicaStatus(router, 'b')?.lag === 0);
    expect(replicaStatus(router, 'b')?.seq).toBe(router.status().seq);
  });

  test('a replica outside the backlog gets a full resync', async () => {
    const router = await startRouter({ backlogBytes: 200 });
    const { bb } = await twoInSync(router);
    const c = await FakeClient.open(router);
    await bb.leave();
    await waitFor('the router dropped b', () => !replicaStatus(router, 'b'));
    for (let i = 0; i < 20; i++) await c.request(Op.SET, `k${i}`, b('x'.repeat(20)), null);
    bb.syncStarts.length = 0;
    await bb.join(router);
    await waitFor('b in sync again', () => inSync(router, 'b') && bb.seq === router.status().seq);
    expect(bb.syncStarts[0][1]).toBe('full');
    expect(bb.data.size).toBe(20);
    expect(bb.violations).toEqual([]);
  });

  test('full resync between two replicas: chunks within the window, then the writes made meanwhile', async () => {
    const logs: string[] = [];
    const router = await startRouter({ resyncWindow: 2, writeAck: 'one', logger: collecting(logs, 'info', 'warn') });
    const data: Record<string, string> = {};
    for (let i = 0; i < 20; i++) data[`key${String(i).padStart(2, '0')}`] = `value ${i}`;
    const a = await adoptedSource(router, { epoch: 5, seq: 40, data });
    const epoch = router.status().epoch;
    expect(epoch).toBeGreaterThan(5);
    expect(a.seq).toBe(41); // the epoch marker
    expect(a.epoch).toBe(epoch);
    const c = await FakeClient.open(router);
    await c.request(Op.SET, 'key00', b('changed before'), null);

    // Behind a in a's own epoch: a prefix of the history, so resynced from it.
    const bb = await heldJoiner(router, 'b', { epoch: 5, seq: 7, data: { stale: 'old' } });
    await waitFor('b got the first window of chunks', () => bb.chunksReceived === 2);
    const x = bb.syncStarts[0][3] as number;
    expect(bb.syncStarts[0].slice(0, 3)).toEqual([Op.SYNC_START, 'full', epoch]);
    expect(x).toBe(42);
    expect(bb.syncStarts[0][4]).toMatchObject({ source: 'a' });
    expect(replicaStatus(router, 'b')).toMatchObject({ state: 'syncing', resync: { mode: 'full', source: 'a', keysDone: 2 } });

    // Writes made during the resync are held back from b until its snapshot is complete.
    await c.request(Op.SET, 'key01', b('changed during'), null);
    await c.request(Op.SET, 'new', b('during'), null);
    await c.request(Op.DEL, 'key02');
    await delay(30);
    expect(bb.chunksReceived).toBe(2); // no credit, no more chunks
    expect(bb.writesApplied).toBe(0);
    await expectError(c.request(Op.GET, 'anything'), 'NO_REPLICAS').catch(() => undefined); // a may serve it; b must not
    bb.release();

    await waitFor('b in sync', () => inSync(router, 'b') && bb.seq === router.status().seq);
    expect(bb.violations).toEqual([]);
    expect(a.violations).toEqual([]);
    expect(bb.chunksReceived).toBe(20);
    expect(bb.get('stale')).toBeUndefined();
    expect(bb.get('key00')).toBe('changed before');
    expect(bb.get('key01')).toBe('changed during');
    expect(bb.get('new')).toBe('during');
    expect(bb.get('key02')).toBeUndefined();
    expect([...bb.data.entries()].sort()).toEqual([...a.data.entries()].sort());
    expect(bb.syncDone).toEqual([Op.SYNC_DONE, epoch, router.status().seq]);
    expect(logs.some((l) => /full resync .* of b from a/.test(l))).toBe(true);
    expect(logs.some((l) => /full resync .* done: 20 keys/.test(l))).toBe(true);

    // b now serves reads too: take a away and read through b.
    await a.leave();
    expect(await c.request(Op.GET, 'new')).toEqual(b('during'));
  });

  test('a source that disconnects mid-resync: the joiner is told and restarts from another source', async () => {
    const router = await startRouter({ resyncWindow: 1, writeAck: 'one' });
    const a = await adoptedSource(router, { epoch: 5, seq: 3, data: { k1: '1', k2: '2', k3: '3' } });
    const bb = new FakeReplica('b', { epoch: 5, seq: 3, data: { k1: '1', k2: '2', k3: '3' } });
    // Same position as a, but a already moved to the new epoch: b gets a full resync.
    const cc = new FakeReplica('c', { reset: true });
    cc.holdSnapshotAcks = true;
    await bb.join(router);
    await waitFor('b in sync', () => inSync(router, 'b'));
    await cc.join(router);
    await waitFor('c got a chunk', () => cc.chunksReceived === 1);
    const source = (cc.syncStarts[0][4] as { source: string }).source;
    const gone = source === 'a' ? a : bb;
    await gone.leave();
    await waitFor('c was told', () => cc.aborts.length === 1);
    cc.release();
    await waitFor('c in sync', () => inSync(router, 'c'));
    expect(cc.syncStarts.length).toBe(2);
    expect(cc.data.size).toBe(3);
    expect(cc.violations).toEqual([]);
  });

  test('a joiner acknowledging chunks it was never sent is disconnected; the source gets no credit for it', async () => {
    const router = await startRouter({ resyncWindow: 2, writeAck: 'one' });
    const data: Record<string, string> = {};
    for (let i = 0; i < 10; i++) data[`k${i}`] = `v${i}`;
    const a = await adoptedSource(router, { epoch: 1, seq: 1, data });
    const bb = await heldJoiner(router, 'b', { reset: true });
    await waitFor('b got the first window', () => bb.chunksReceived === 2);
    const { resyncId } = bb.syncStarts[0][4] as { resyncId: number };
    // Hostile: acks 1,000 chunks for the 2 it received (and repeats it).
    for (let i = 0; i < 5; i++) bb.conn.send([Op.SNAPSHOT_ACK, resyncId, 1000]);
    await closed(bb.conn);
    expect(a.creditsReceived).toBe(0);
    // The router drops the link when its own socket closes, which may be a moment after b's.
    await waitFor('b dropped', () => replicaStatus(router, 'b') === undefined);
    // An honest joiner after it still gets the whole snapshot.
    const cc = new FakeReplica('c', { reset: true });
    await cc.join(router);
    await waitFor('c in sync', () => inSync(router, 'c'));
    expect(cc.data.size).toBe(10);
    expect([a, cc].flatMap((r) => r.violations)).toEqual([]);
  });

  test('a joiner is in sync only after acknowledging every chunk, not when the source ends', async () => {
    const router = await startRouter({ writeAck: 'one' });
    const a = await adoptedSource(router, { epoch: 1, seq: 1, data: { k1: 'v1', k2: 'v2', k3: 'v3' } });
    const bb = await heldJoiner(router, 'b', { reset: true });
    // The whole snapshot fits in the window: the source sends every chunk and SNAPSHOT_END.
    await waitFor('b got all chunks', () => bb.chunksReceived === 3);
    await delay(50);
    expect(replicaStatus(router, 'b')?.state).toBe('syncing');
    expect(bb.syncDone).toBeUndefined();
    bb.release();
    await waitFor('b in sync', () => inSync(router, 'b'));
    expect(bb.syncDone).toBeDefined();
    expect(bb.violations).toEqual([]);
  });

  test('the resync rate limit slows the stream down', async () => {
    const router = await startRouter({ resyncWindow: 8, writeAck: 'one', resyncRateBytesPerSec: 20 * 1024 });
    const data: Record<string, string> = {};
    for (let i = 0; i < 10; i++) data[`k${i}`] = 'x'.repeat(1024);
    const a = await adoptedSource(router, { epoch: 1, seq: 1, data });
    const bb = new FakeReplica('b', { reset: true });
    const t0 = Date.now();
    await bb.join(router);
    await waitFor('b in sync', () => inSync(router, 'b'));
    // ~10 KiB at 20 KiB/s: credits are held back so the stream takes about half a second.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
    expect(bb.data.size).toBe(10);
    // Under a limit of less than a chunk per second the source starts with one chunk of
    // credit, not the whole window of 8 (which would leave at once, far above the limit).
    expect(a.snapshotWindows).toEqual([1]);
  });

  test('startup join window: the highest (epoch, seq) is adopted, others resync from it, requests are held', async () => {
    const router = await startRouter({ joinWindowMs: 5000, expectReplicas: 3 });
    const old = new FakeReplica('old', { epoch: 200, seq: 30, data: { k: 'old' } });
    const best = new FakeReplica('best', { epoch: 200, seq: 50, data: { k: 'best' } });
    const same = new FakeReplica('same', { epoch: 200, seq: 50, data: { k: 'best' } });
    await old.join(router);
    const c = await FakeClient.open(router);
    const heldRead = c.request(Op.GET, 'k');
    await best.join(router);
    await delay(20);
    expect(router.status().seq).toBe(0); // still waiting for the third
    await same.join(router);
    expect(await heldRead).toEqual(b('best'));
    const s = router.status();
    expect(s.seq).toBe(51);
    expect(s.epoch).toBeGreaterThan(200);
    expect(best.syncStarts[0].slice(0, 4)).toEqual([Op.SYNC_START, 'incremental', s.epoch, 50]);
    expect(same.syncStarts[0][1]).toBe('incremental');
    await waitFor('old resynced', () => inSync(router, 'old', 'best', 'same') && old.seq === 51);
    expect(old.syncStarts[0][1]).toBe('full');
    expect(old.get('k')).toBe('best');
    expect([best, same, old].flatMap((r) => r.violations)).toEqual([]);
  });

  test('an empty or reset replica is never adopted while one with data is in the window', async () => {
    const router = await startRouter({ joinWindowMs: 5000, expectReplicas: 2 });
    const empty = new FakeReplica('empty');
    const full = new FakeReplica('full', { epoch: 1, seq: 5, data: { k: 'v' } });
    await empty.join(router);
    await full.join(router);
    await waitFor('both in sync', () => inSync(router, 'empty', 'full'));
    expect(full.syncStarts[0][1]).toBe('incremental');
    expect(empty.syncStarts[0][1]).toBe('full');
    expect(empty.get('k')).toBe('v');
  });

  test('a replica claiming a position ahead of the router keeps its data, out of service, and it is reported', async () => {
    const errors: string[] = [];
    const router = await startRouter({ logger: collecting(errors, 'error') });
    const a = new FakeReplica('a');
    await a.join(router);
    await waitFor('a in sync', () => inSync(router, 'a'));
    const epoch = router.status().epoch;
    const ahead = new FakeReplica('ahead', { epoch, seq: 1000, data: { ghost: 'x' } });
    await ahead.join(router);
    await waitFor('ahead reported', () => replicaStatus(router, 'ahead')?.state === 'diverged');
    await delay(50);
    expect(ahead.syncStarts).toEqual([]);
    expect(ahead.get('ghost')).toBe('x');
    expect(replicaStatus(router, 'ahead')?.conflict).toMatch(/ahead of this router's history/);
    expect(errors.some((e) => /ahead .*--reset/.test(e))).toBe(true);
    // It receives no writes and serves no reads.
    const c = await FakeClient.open(router);
    await c.request(Op.SET, 'k', b('v'), null);
    expect(ahead.seq).toBe(1000);
  });

  test('a replica from an epoch the router has no record of is not resynced either', async () => {
    const router = await startRouter({ joinWindowMs: 5000, expectReplicas: 2 });
    const fresh = new FakeReplica('fresh');
    const other = new FakeReplica('other', { epoch: 3, seq: 7, data: { k: 'theirs' } });
    await fresh.join(router);
    await other.join(router);
    // The window adopts the replica holding data; now an empty one and one from elsewhere.
    await waitFor('other adopted', () => inSync(router, 'other', 'fresh'));
    const stranger = new FakeReplica('stranger', { epoch: 2, seq: 5, data: { k: 'mine' } });
    await stranger.join(router);
    await waitFor('stranger reported', () => replicaStatus(router, 'stranger')?.state === 'diverged');
    expect(replicaStatus(router, 'stranger')?.conflict).toMatch(/epoch 2 .*does not include/);
    expect(stranger.get('k')).toBe('mine');
    expect(stranger.syncStarts).toEqual([]);
  });
});

describe('restart with the router state', () => {
  /** The same replica process back after a restart: same name, position and data. */
  function back(r: FakeReplica, options: FakeReplicaOptions = {}): FakeReplica {
    const data: Record<string, string> = {};
    for (const [k, v] of r.data) data[k] = v.toString();
    return new FakeReplica(r.name, { epoch: r.epoch, seq: r.seq, data, ...options });
  }

  function stateFile(): string {
    return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kvndb-router-state-')), 'router.state.json');
  }

  test('a stale replica that joins first is not adopted; the router waits for one holding every acknowledged write', async () => {
    const file = stateFile();
    const r1 = await startRouter({ stateFile: file, joinWindowMs: 2000, expectReplicas: 3 });
    const [a, bb, cc] = ['a', 'b', 'c'].map((n) => new FakeReplica(n));
    for (const r of [a, bb, cc]) await r.join(r1);
    await waitFor('three in sync', () => inSync(r1, 'a', 'b', 'c'));
    const c1 = await FakeClient.open(r1);
    await c1.request(Op.SET, 'k', b('1'), null);
    await a.leave();
    await waitFor('a gone', () => replicaStatus(r1, 'a') === undefined);
    await c1.request(Op.SET, 'k', b('2'), null);
    await c1.request(Op.SET, 'k', b('3'), null);
    await r1.stop();

    const errors: string[] = [];
    const r2 = await startRouter({ stateFile: file, joinWindowMs: 100, logger: collecting(errors, 'error') });
    const stale = back(a);
    await stale.join(r2);
    await delay(300);
    expect(r2.status().waitingFor).toMatch(/1 more of b, c/);
    expect(errors.some((e) => /not serving: waiting for replicas that hold every acknowledged write/.test(e))).toBe(true);
    const c2 = await FakeClient.open(r2);
    const refused = await expectError(c2.request(Op.GET, 'k'), 'NO_REPLICAS');
    expect(refused.message).toMatch(/1 more of b, c/);
    expect(stale.syncStarts).toEqual([]);

    const b2 = back(bb);
    await b2.join(r2);
    await waitFor('b adopted and a resynced from it', () => inSync(r2, 'a', 'b'));
    expect(r2.status().waitingFor).toBeUndefined();
    expect(await c2.request(Op.GET, 'k')).toEqual(b('3'));
    expect(stale.get('k')).toBe('3');
    const c3 = back(cc);
    await c3.join(r2);
    await waitFor('c in sync', () => inSync(r2, 'c'));
    expect(c3.get('k')).toBe('3');
    expect([stale, b2, c3].flatMap((r) => r.violations)).toEqual([]);
  });

  test('a member that comes back empty (a restarted memory replica) proves nothing; the one with data is adopted', async () => {
    const file = stateFile();
    const r1 = await startRouter({ stateFile: file, joinWindowMs: 2000, expectReplicas: 2 });
    const mem = new FakeReplica('mem');
    const disk = new FakeReplica('disk');
    await mem.join(r1);
    await disk.join(r1);
    await waitFor('both in sync', () => inSync(r1, 'mem', 'disk'));
    const c1 = await FakeClient.open(r1);
    for (let i = 0; i < 5; i++) await c1.request(Op.SET, `k${i}`, b(`v${i}`), null);
    await delay(1100); // a tick: the floors are saved
    await r1.stop();

    const r2 = await startRouter({ stateFile: file, joinWindowMs: 100 });
    const memAgain = new FakeReplica('mem'); // its memory is gone
    await memAgain.join(r2);
    await delay(300);
    expect(r2.status().waitingFor).toMatch(/mem joined empty/);
    const diskAgain = back(disk);
    await diskAgain.join(r2);
    await waitFor('disk adopted, mem resynced', () => inSync(r2, 'mem', 'disk'));
    expect(diskAgain.syncStarts[0][1]).toBe('incremental');
    expect(memAgain.get('k4')).toBe('v4');
  });

  test('when every copy is gone, --accept-data-loss starts over from what is left, and says so', async () => {
    const file = stateFile();
    const r1 = await startRouter({ stateFile: file });
    const mem = new FakeReplica('mem');
    await mem.join(r1);
    await waitFor('in sync', () => inSync(r1, 'mem'));
    const c1 = await FakeClient.open(r1);
    await c1.request(Op.SET, 'k', b('v'), null);
    await r1.stop();

    const r2 = await startRouter({ stateFile: file, joinWindowMs: 50 });
    await new FakeReplica('mem').join(r2);
    await delay(200);
    expect(r2.status().waitingFor).toMatch(/mem joined empty/);
    await r2.stop();

    const errors: string[] = [];
    const r3 = await startRouter({ stateFile: file, joinWindowMs: 50, acceptDataLoss: true, logger: collecting(errors, 'error') });
    await new FakeReplica('mem').join(r3);
    await waitFor('adopted anyway', () => inSync(r3, 'mem'));
    expect(errors.some((e) => /--accept-data-loss: adopting mem .* are lost/.test(e))).toBe(true);
    const c3 = await FakeClient.open(r3);
    expect(await c3.request(Op.GET, 'k')).toBeNull();
  });

  test('no state file, the first replica to arrive empty, a replica holding data later: that data is kept, not wiped', async () => {
    const router = await startRouter({ joinWindowMs: 50 });
    const mem = new FakeReplica('mem');
    await mem.join(router);
    await waitFor('mem adopted', () => inSync(router, 'mem'));
    const disk = new FakeReplica('disk', { epoch: 5, seq: 10, data: { k: 'kept' } });
    await disk.join(router);
    await waitFor('disk reported', () => replicaStatus(router, 'disk')?.state === 'diverged');
    expect(disk.get('k')).toBe('kept');
    expect(disk.syncStarts).toEqual([]);
    expect(replicaStatus(router, 'disk')?.conflict).toMatch(/does not include/);
  });

  test('a damaged state file stops the router from starting instead of being taken for a fresh start', () => {
    const file = stateFile();
    fs.writeFileSync(file, '{"version":1,"history":');
    expect(() => new Router({ port: 0, stateFile: file })).toThrow(/damaged .*move it away/);
  });
});
