/**
 * Authentication and transports against real processes: wrong and missing passwords, a
 * client credential presented as a replica, a captured proof replayed on another
 * connection, the non-loopback bind rule, TLS end to end and with the wrong CA, and tcp6.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FramedConnection, KvndbError, Op, computeProof, dial } from '@kvndb/shared';
import { KvndbProcess, client, startReplica, startRouter, stopAll, tempDir, waitInSync } from '../helpers/cluster';
import { authedConn, hello, makeCert, sendAndCollect } from './harness';

afterEach(() => stopAll());

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return err instanceof KvndbError ? err.code : `${(err as Error).name}: ${(err as Error).message}`;
  }
}

test('wrong, missing and cross-role credentials are refused with AUTH_FAILED', async () => {
  const router = await startRouter(['--password', 'client-pw', '--replica-password', 'replica-pw']);
  const opts = { reconnect: false, requestTimeoutMs: 5000 };
  expect(await codeOf(authedConn(router.port, 'client', 'wrong'))).toBe('AUTH_FAILED');
  expect(await codeOf(authedConn(router.port, 'client', undefined))).toBe('AUTH_FAILED');
  expect(await codeOf(client(router.port, { ...opts, password: '' }).then((c) => c.close()))).toBe('AUTH_FAILED');
  // The client credential does not make a replica, nor the replica one a client.
  const info = { name: 'impostor', epoch: 0, seq: 0, reset: false };
  expect(await codeOf(authedConn(router.port, 'replica', 'client-pw', info))).toBe('AUTH_FAILED');
  expect(await codeOf(authedConn(router.port, 'client', 'replica-pw'))).toBe('AUTH_FAILED');
  // The right ones work.
  const ok = await authedConn(router.port, 'replica', 'replica-pw', info);
  ok.conn.close();
  const db = await client(router.port, { password: 'client-pw' });
  expect(await db.ping()).toBeUndefined();
  await db.close();
  // Failures are logged with the peer address.
  await router.proc.waitFor(/authentication failed for replica from 127\.0\.0\.1:\d+/);
});

test('a proof captured on one connection is refused on another (replay)', async () => {
  const router = await startRouter(['--password', 'pw']);
  const challenge = async () => {
    const conn = new FramedConnection(await dial({ host: '127.0.0.1', port: router.port }));
    const msgs: unknown[][] = [];
    conn.onMessage = (m) => msgs.push(m as unknown[]);
    conn.stream.write(hello('client'));
    while (msgs.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(msgs[0][0]).toBe(Op.CHALLENGE);
    return { conn, msgs, nonce: msgs[0][2] as Uint8Array };
  };
  const a = await challenge();
  const b = await challenge();
  const proofA = computeProof('pw', 'client', a.nonce);
  // Replay A's (valid) proof on B: refused.
  b.conn.send([Op.AUTH, proofA]);
  await new Promise<void>((r) => b.conn.once('close', () => r()));
  expect(b.msgs[1]?.[0]).toBe(Op.ERROR);
  expect(b.msgs[1]?.[2]).toBe('AUTH_FAILED');
  // The same proof is accepted where it belongs.
  a.conn.send([Op.AUTH, proofA]);
  while (a.msgs.length < 2) await new Promise((r) => setTimeout(r, 5));
  expect(a.msgs[1][0]).toBe(Op.WELCOME);
  a.conn.close();
});

test('secrets from KVNDB_PASSWORD and --password-file', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'pw');
  fs.writeFileSync(file, 'file-secret\n', { mode: 0o600 });
  const r1 = await startRouter(['--password-file', file]);
  expect(await codeOf(authedConn(r1.port, 'client', 'file-secret'))).toBe('OK');
  expect(await codeOf(authedConn(r1.port, 'client', 'x'))).toBe('AUTH_FAILED');
  const r2 = await startRouter([], 0, { KVNDB_PASSWORD: 'env-secret' });
  expect(await codeOf(authedConn(r2.port, 'client', 'env-secret'))).toBe('OK');
  expect(await codeOf(authedConn(r2.port, 'client', ''))).toBe('AUTH_FAILED');
});

test('a non-loopback bind without a password refuses to start and says why', async () => {
  const p = new KvndbProcess(['router', '0.0.0.0', '0'], { KVNDB_PASSWORD: '' });
  await p.exited;
  expect(p.exitCode).not.toBe(0);
  expect(p.output).toMatch(/refusing to listen on 0\.0\.0\.0 without a password/);
  expect(p.output).toMatch(/--insecure/);
});

test('TLS end to end: router --type tls, replica and client trusting its certificate', async () => {
  const { cert, key } = makeCert();
  const router = await startRouter(['--type', 'tls', '--tls-cert', cert, '--tls-key', key, '--password', 'pw']);
  startReplica('memory', router.port, { name: 'tls-replica', args: ['--type', 'tls', '--tls-ca', cert, '--password', 'pw'] });
  const ca = fs.readFileSync(cert);
  const db = await client(router.port, { password: 'pw', tls: { ca } });
  await waitInSync(db, 1);
  await db.set('secure', 'yes');
  expect(await db.get('secure')).toBe('yes');
  await db.close();
  // A plain-TCP peer gets nowhere: no kvndb frame ever comes back.
  const plain = await sendAndCollect(router.port, hello('client'), 300);
  expect(plain.received.length === 0 || plain.received[0] === 0x15 /* TLS alert */).toBe(true);
});

test('TLS with the wrong CA: the client refuses the router', async () => {
  const real = makeCert('router');
  const other = makeCert('someone-else');
  const router = await startRouter(['--type', 'tls', '--tls-cert', real.cert, '--tls-key', real.key]);
  const err = await client(router.port, { tls: { ca: fs.readFileSync(other.cert) }, reconnect: false, requestTimeoutMs: 5000 })
    .then((db) => db.ping().finally(() => db.close()))
    .then(
      () => null,
      (e: Error) => e,
    );
  expect(err).not.toBeNull();
  expect(String(err?.message)).toMatch(/certificate|self.signed|verify/i);
});

test('mutual TLS: given --tls-ca, the router admits only clients and replicas with a certificate that CA signed', async () => {
  const server = makeCert('router');
  const member = makeCert('member'); // self-signed: it is its own CA
  const stranger = makeCert('stranger');
  const router = await startRouter(['--type', 'tls', '--tls-cert', server.cert, '--tls-key', server.key, '--tls-ca', member.cert]);
  startReplica('memory', router.port, {
    name: 'mtls-replica',
    args: ['--type', 'tls', '--tls-ca', server.cert, '--tls-cert', member.cert, '--tls-key', member.key],
  });
  const ca = fs.readFileSync(server.cert);
  const db = await client(router.port, { tls: { ca, cert: fs.readFileSync(member.cert), key: fs.readFileSync(member.key) } });
  await waitInSync(db, 1);
  await db.set('mtls', 'ok');
  expect(await db.get('mtls')).toBe('ok');
  await db.close();
  const refused = async (tls: { ca: Buffer; cert?: Buffer; key?: Buffer }) =>
    client(router.port, { tls, reconnect: false, requestTimeoutMs: 5000, connectTimeoutMs: 5000 })
      .then((c) => c.ping().finally(() => c.close()))
      .then(
        () => null,
        (e: Error) => e,
      );
  // No certificate, and a certificate the CA did not sign: both turned away during TLS.
  expect(await refused({ ca })).not.toBeNull();
  expect(await refused({ ca, cert: fs.readFileSync(stranger.cert), key: fs.readFileSync(stranger.key) })).not.toBeNull();
  expect(router.proc.running).toBe(true);
});

const hasIpv6Loopback = Object.values(os.networkInterfaces())
  .flat()
  .some((i) => i?.family === 'IPv6' && i.address === '::1');

(hasIpv6Loopback ? test : test.skip)('tcp6 on ::1 end to end (skipped when the machine has no IPv6 loopback)', async () => {
  const proc = new KvndbProcess(['router', '::1', '0', '--type', 'tcp6', '--join-window', '300']);
  const port = Number((await proc.waitFor(/listening on [^\s]*:(\d+)/))[1]);
  new KvndbProcess(['memory', '::1', String(port), '--type', 'tcp6', '--name', 'v6']);
  const db = await client(port, { host: '::1', type: 'tcp6' });
  await waitInSync(db, 1);
  await db.set('six', 'ok');
  expect(await db.get('six')).toBe('ok');
  await db.close();
});
if (!hasIpv6Loopback) console.warn('no IPv6 loopback (::1) on this machine: the tcp6 test is skipped');

