/**
 * Messages that mislead (issue 12, item 6), each through the real path: the `kvndb`
 * binary, and the client against a real router with a RESP door.
 */
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { connect, ErrorCode, KvndbError } from '@kvndb/client';
import { KVNDB_BIN, client, startReplica, startRouterWithResp, stopAll, waitInSync, type RouterHandle } from './helpers/cluster';

const PASSWORD = 'messages-pw';

let router: RouterHandle;
let respPort: number;

beforeAll(async () => {
  ({ respPort, ...router } = await startRouterWithResp(['--password', PASSWORD]));
});

afterAll(async () => {
  await stopAll();
});

test('a replica with the wrong password names its own secret sources and the router flag they must match', async () => {
  const replica = startReplica('memory', router.port, { name: 'wrong-pw', args: ['--password', 'not-the-password'] });
  const m = await replica.waitFor(/refused this replica's secret.*/);
  await replica.stop();
  expect(m[0]).toMatch(/its --password, else KVNDB_REPLICA_PASSWORD, else KVNDB_PASSWORD, else --password-file/);
  expect(m[0]).toMatch(/must equal the router's --replica-password \(or the router's --password/);
  expect(m[0]).not.toMatch(/check --replica-password/);
});

test('kvndb router --password-file with a missing file: usage error (exit 2) naming the file and the OS error', () => {
  const r = spawnSync(process.execPath, [KVNDB_BIN, 'router', '127.0.0.1', '0', '--password-file', '/nonexistent/kvndb-pw'], {
    encoding: 'utf8',
    timeout: 20000,
  });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/cannot read password file \/nonexistent\/kvndb-pw: ENOENT: no such file or directory/);
  expect(r.stderr).not.toMatch(/INTERNAL/);
});

describe('connect() port option', () => {
  test('a string of digits is a port', async () => {
    const db = await connect({ host: '127.0.0.1', port: String(router.port), password: PASSWORD });
    expect(await db.ping()).toBeUndefined();
    await db.close();
  });

  test('anything else names the type it got', async () => {
    const err = await connect({ port: 'redis' as unknown as number }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KvndbError);
    expect((err as KvndbError).code).toBe(ErrorCode.BAD_REQUEST);
    expect((err as KvndbError).message).toBe('port must be a number from 0 to 65535 (or a string of digits), got string "redis"');
    const big = await connect({ port: 70000 }).catch((e: unknown) => e);
    expect((big as KvndbError).message).toBe('port must be a whole number from 0 to 65535, got 70000');
  });
});

test('the native client pointed at the RESP port fails at once, saying it reached a Redis-protocol port', async () => {
  const started = Date.now();
  const err = await client(respPort, { password: PASSWORD, reconnect: false }).catch((e: unknown) => e);
  const ms = Date.now() - started;
  expect(err).toBeInstanceOf(KvndbError);
  expect((err as KvndbError).code).toBe(ErrorCode.PROTOCOL_ERROR);
  expect((err as KvndbError).message).toMatch(/is not a kvndb router port: it answered in the Redis protocol \(RESP\)/);
  expect((err as KvndbError).message).toMatch(/RESP\) port/);
  expect(ms).toBeLessThan(2000);
});

test('a Redis client pointed at the native port gets a Redis error saying so, at once', async () => {
  // What redis-cli sends for `redis-cli -p PORT PING` (redis-cli itself is not installed everywhere).
  const started = Date.now();
  const raw = await new Promise<string>((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port: router.port }, () => s.write('*1\r\n$4\r\nPING\r\n'));
    let got = '';
    s.on('data', (c) => (got += c.toString('latin1')));
    s.on('error', reject);
    s.on('close', () => resolve(got));
  });
  expect(raw).toBe("-ERR this is the kvndb native protocol port; Redis clients (redis-cli, RESP) connect to the router's --resp-port\r\n");
  expect(Date.now() - started).toBeLessThan(2000);

  // The router logged why and still serves.
  await router.proc.waitFor(/speaks a text protocol \(Redis\?\) on the native port/);
  startReplica('memory', router.port, { name: 'ok', env: { KVNDB_PASSWORD: PASSWORD } });
  const db = await client(router.port, { password: PASSWORD });
  await waitInSync(db, 1);
  await db.close();
});
