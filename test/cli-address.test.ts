/**
 * The address convention and `kvndb cmd HOST PORT COMMAND...`, end to end: a real router
 * and memory replicas started through the kvndb binary with the address as options, and
 * the one-shot commands and the console run against them as separate processes.
 */
import { spawnSync } from 'node:child_process';
import { KVNDB_BIN, KvndbProcess, client, stopAll, waitInSync } from './helpers/cluster';

jest.setTimeout(60000);

function kvndb(...args: string[]) {
  const env = { ...process.env };
  delete env.KVNDB_PASSWORD;
  const r = spawnSync(process.execPath, [KVNDB_BIN, ...args], { encoding: 'utf8', timeout: 15000, env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let port: number;

beforeAll(async () => {
  // Every server mode takes the address as -H/-p as well as positionally.
  const router = new KvndbProcess(['router', '-H', '127.0.0.1', '-p', '0', '--join-window', '300']);
  port = Number((await router.waitFor(/listening on [^\s]*:(\d+)/))[1]);
  new KvndbProcess(['memory', '-H', '127.0.0.1', '-p', String(port), '--name', 'flags']);
  new KvndbProcess(['memory', '127.0.0.1', String(port), '-p', String(port), '--name', 'both']);
  const db = await client(port);
  try {
    await waitInSync(db, 2);
  } finally {
    await db.close();
  }
});

afterAll(stopAll);

it('kvndb cmd HOST PORT COMMAND runs one command with the arguments as the shell split them', () => {
  const set = kvndb('cmd', '127.0.0.1', String(port), 'set', 'greeting', 'hello world');
  expect(set.stderr).toBe('');
  expect(set.status).toBe(0);
  const get = kvndb('cmd', '127.0.0.1', String(port), 'get', 'greeting');
  expect(get.status).toBe(0);
  expect(get.stdout.trim()).toBe('hello world');
  const json = kvndb('cmd', '127.0.0.1', String(port), 'get', 'greeting', '--json');
  expect(JSON.parse(json.stdout)).toBe('hello world');
});

it('kvndb cmd HOST PORT COMMAND exits 1 when the command fails', () => {
  const r = kvndb('cmd', '127.0.0.1', String(port), 'get', '');
  expect(r.status).toBe(1);
  expect(r.stderr).not.toBe('');
});

it('the one-shot commands take the address as -H/-p and data after -- as data', () => {
  expect(kvndb('set', '-H', '127.0.0.1', '-p', String(port), 'neg', '--', '-1').status).toBe(0);
  expect(kvndb('get', 'neg', '-p', String(port)).stdout.trim()).toBe('-1');
  expect(kvndb('set', '-p', String(port), '--', '127.0.0.1', 'a key that looks like an address').status).toBe(0);
  const keys = kvndb('keys', '-p', String(port), '--json', '--', '127.0.0.1');
  expect(keys.status).toBe(0);
  expect(JSON.parse(keys.stdout)).toEqual(['127.0.0.1']);
  const misread = kvndb('keys', '127.0.0.1', '-p', String(port));
  expect(misread.status).toBe(2);
  expect(misread.stderr).toMatch(/looks like the router's address/);
});

it('kvndb status takes the address positionally or as options', () => {
  for (const args of [['127.0.0.1', String(port)], ['-H', '127.0.0.1', '-p', String(port)], ['127.0.0.1', '-p', String(port)]]) {
    const r = kvndb('status', ...args, '--json');
    expect(r.status).toBe(0);
    const status = JSON.parse(r.stdout);
    expect(status.replicas.map((replica: { name: string }) => replica.name).sort()).toEqual(['both', 'flags']);
  }
});
