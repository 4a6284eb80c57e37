import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * The kvndb binary's command line contract, checked on the built binary: every mode's
 * --help lists its options (with defaults, env vars and examples), and a bad command line
 * exits 2 with exactly one `kvndb: ...` line. No server is started.
 */
const BIN = path.join(__dirname, '..', 'packages', 'cli', 'dist', 'bin.js');

function kvndb(...args: string[]) {
  const env = { ...process.env };
  delete env.KVNDB_PASSWORD;
  delete env.KVNDB_REPLICA_PASSWORD;
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 15000, env });
  return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

const CONNECTION = ['--password', '--password-file', 'KVNDB_PASSWORD', '--type', '--tls-ca', 'tcp6'];
const LOGGING = ['--verbose', '-v', '--log-file', '-l', '--log-format'];

const MODES: Record<string, string[]> = {
  router: [
    '[host]',
    '[port]',
    '[default: 54565]',
    '127.0.0.1',
    ...CONNECTION,
    '--replica-password',
    'KVNDB_REPLICA_PASSWORD',
    '--write-ack',
    '"one", "majority", "all"',
    '[default: "majority"]',
    '--write-timeout',
    '--backlog-size',
    '--join-window',
    '--expect-replicas',
    '--resync-rate',
    '--resp-port',
    '--tls-cert',
    '--tls-key',
    '--insecure',
    ...LOGGING,
  ],
  memory: ['[host]', '[port]', '[default: 54565]', ...CONNECTION, 'KVNDB_REPLICA_PASSWORD', '--name', '--reset', '--max-retry-delay', ...LOGGING],
  sqlite: [
    '[host]',
    '[port]',
    '[file]',
    '[default: "./kvndb.sqlite"]',
    '--sync',
    '"normal", "full"',
    ...CONNECTION,
    'KVNDB_REPLICA_PASSWORD',
    '--name',
    '--reset',
    '--max-retry-delay',
    ...LOGGING,
  ],
  standalone: [
    '[host]',
    '[port]',
    '--data',
    '[default: "./kvndb-data"]',
    '--write-ack',
    '--insecure',
    ...CONNECTION,
    ...LOGGING,
  ],
  cmd: ['[host]', '[port]', '[default: 54565]', '--command', '-c', '--json', '--timeout', ...CONNECTION],
  get: ['<key>', '--host', '-H', '--port', '-p', '--json', ...CONNECTION],
  set: ['<key>', '<value>', '--host', '-H', '--port', '-p', ...CONNECTION],
  del: ['<keys..>', '--host', '-H', '--port', '-p', ...CONNECTION],
  keys: ['[prefix]', '--host', '-H', '--port', '-p', '--json', ...CONNECTION],
  status: ['--host', '-H', '--port', '-p', '--json', ...CONNECTION],
};

describe('kvndb --help', () => {
  it('lists every mode', () => {
    const r = kvndb('--help');
    expect(r.status).toBe(0);
    for (const mode of Object.keys(MODES)) expect(r.stdout).toMatch(new RegExp(`kvndb ${mode}\\b`));
  });

  it('prints the version', () => {
    const r = kvndb('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each(Object.entries(MODES))('kvndb %s --help lists its options and examples', (mode, expected) => {
    const r = kvndb(mode, '--help');
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    for (const text of expected) expect(r.stdout).toContain(text);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('--help');
    expect(r.stdout).toContain('--version');
  });
});

describe('a bad command line', () => {
  it.each([
    [['router', '--bogus'], /Unknown argument: bogus/],
    [['router', '127.0.0.1', 'abc'], /port must be a number from 0 to 65535, got "abc"/],
    [['router', '127.0.0.1', '70000'], /port must be a number from 0 to 65535, got 70000/],
    [['router', '--write-ack', 'some'], /write-ack.*some/],
    [['router', '--write-timeout', 'soon'], /--write-timeout must be a whole number/],
    [['router', '--backlog-size', 'huge'], /--backlog-size must be a byte count/],
    [['router', '--type', 'udp'], /type.*udp/],
    [['router', '--resp-port', 'redis'], /port must be a number from 0 to 65535, got "redis"/],
    [['router', '--type', 'tls'], /--type tls needs --tls-cert and --tls-key/],
    [['router', '0.0.0.0', '0'], /refusing to listen on 0\.0\.0\.0 without a password.*--insecure/],
    [['standalone', '0.0.0.0', '0', '--data', '/nonexistent/never'], /refusing to listen on 0\.0\.0\.0 without a password/],
    [['memory', '--sync', 'full'], /Unknown argument: sync/],
    [['memory', '--max-retry-delay', 'soon'], /--max-retry-delay must be a whole number >= 10, got "soon"/],
    [['sqlite', '--max-retry-delay', '5'], /--max-retry-delay must be a whole number >= 10, got "5"/],
    [['router', '6000'], /"6000" is not a host: the order is \[host\] \[port\]/],
    [['sqlite', '127.0.0.1', '54565', 'x.sqlite', '--sync', 'sometimes'], /sync.*sometimes/],
    [['cmd', '127.0.0.1', '-1'], /Unknown argument|port must be/],
    [['get'], /Not enough non-option arguments/],
    [['set', 'only-key'], /Not enough non-option arguments/],
    [['get', 'k', '-p', 'x'], /port must be a number/],
    [['frobnicate'], /Unknown argument: frobnicate/],
    [[], /choose a mode: router, memory, sqlite, standalone, cmd/],
  ])('kvndb %j exits 2 with one line', (args, reason) => {
    const r = kvndb(...(args as string[]));
    expect(r.signal).toBeNull();
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^kvndb: /);
    expect(lines[0]).toMatch(reason);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('a runtime failure', () => {
  it('exits 1 with one line when the router cannot be reached', () => {
    // Port 1 on loopback: nothing listens there, and connecting is refused at once.
    const r = kvndb('get', 'k', '-p', '1');
    expect(r.status).toBe(1);
    const lines = r.stderr.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^kvndb: cannot connect to 127\.0\.0\.1:1: /);
  });

  it('exits 1 with one line for a console that cannot connect', () => {
    const r = kvndb('cmd', '127.0.0.1', '1', '-c', 'ping');
    expect(r.status).toBe(1);
    expect(r.stderr.split('\n').filter((line) => line !== '')).toHaveLength(1);
  });
});
