import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * The kvndb binary's command line contract, checked on the built binary: every mode's
 * --help lists its options (with defaults, env vars and examples), every mode takes the
 * address as -H/-p (and, where positionals are not data, as HOST PORT), and a bad command
 * line exits 2 with exactly one `kvndb: ...` line. No server is started.
 */
const BIN = path.join(__dirname, '..', 'packages', 'cli', 'dist', 'bin.js');

function kvndb(...args: string[]) {
  const env = { ...process.env };
  delete env.KVNDB_PASSWORD;
  delete env.KVNDB_REPLICA_PASSWORD;
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 15000, env });
  return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

const ADDRESS = ['--host', '-H', '--port', '-p'];
const CONNECTION = [...ADDRESS, '--password', '--password-file', 'KVNDB_PASSWORD', '--type', '--tls-ca', 'tcp6'];
const LOGGING = ['--verbose', '-v', '--log-file', '-l', '--log-format'];

const MODES: Record<string, string[]> = {
  router: [
    '[HOST]',
    '[PORT]',
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
  memory: ['[HOST]', '[PORT]', '[default: 54565]', ...CONNECTION, 'KVNDB_REPLICA_PASSWORD', '--name', '--reset', '--max-retry-delay', ...LOGGING],
  sqlite: [
    '[HOST]',
    '[PORT]',
    '[FILE]',
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
    '[HOST]',
    '[PORT]',
    '--data',
    '[default: "./kvndb-data"]',
    '--write-ack',
    '--insecure',
    ...CONNECTION,
    ...LOGGING,
  ],
  cmd: ['[HOST]', '[PORT]', '[COMMAND..]', '[default: 54565]', '--command', '-c', '--json', '--timeout', ...CONNECTION],
  get: ['<KEY>', '--json', ...CONNECTION],
  set: ['<KEY>', '<VALUE>', ...CONNECTION],
  del: ['<KEY..>', ...CONNECTION],
  keys: ['[PREFIX]', '--json', ...CONNECTION],
  status: ['[HOST]', '[PORT]', '--json', ...CONNECTION],
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
    [['router', '6000'], /"6000" is not a host: the order is HOST PORT \(did you mean 127\.0\.0\.1 6000, or -p 6000\?\)/],
    // One address, given once: positional and option may repeat a value, never contradict it.
    [['router', '10.0.0.5', '-H', '10.0.0.6'], /the host is given twice, as 10\.0\.0\.5 and as -H 10\.0\.0\.6/],
    [['memory', '127.0.0.1', '6000', '-p', '6001'], /the port is given twice, as 6000 and as -p 6001/],
    [['cmd', '127.0.0.1', '54565', 'status', '--port', '1'], /the port is given twice/],
    [['status', '127.0.0.1', '54565', '-H', 'db'], /the host is given twice/],
    [['sqlite', '-p', '6000', 'a.sqlite'], /"a\.sqlite" is in the HOST place: positionals go in the order HOST PORT FILE \(kvndb sqlite 127\.0\.0\.1 6000 a\.sqlite\)/],
    // The one-shot commands' positionals are data: an address there is a mistake, not a prefix.
    [['keys', '127.0.0.1', '-p', '54600'], /"127\.0\.0\.1" looks like the router's address.*-H\/-p.*goes after --/],
    [['get', 'localhost:54565'], /"localhost:54565" looks like the router's address/],
    [['del', 'a', '[::1]:6000'], /"\[::1\]:6000" looks like the router's address/],
    [['get', '127.0.0.1', '54565', 'k'], /Unknown arguments: 54565, k/],
    // kvndb cmd HOST PORT COMMAND: the command is checked before connecting.
    [['cmd', 'status'], /"status" is in the HOST place: positionals go in the order HOST PORT COMMAND.*-c "status/],
    [['cmd', 'get', 'x'], /"get" is in the HOST place/],
    [['cmd', '127.0.0.1', '54565', 'frobnicate'], /unknown command "frobnicate"/],
    [['cmd', '127.0.0.1', '54565', 'get'], /usage: get KEY/],
    [['cmd', '127.0.0.1', '54565', 'get', 'x', '-c', 'ping'], /either after HOST PORT or with -c, not both/],
    [['keys', '-p', '1', '--', 'a', 'b'], /Unknown argument: b/],
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

  it.each([
    [['cmd', '127.0.0.1', '1', 'status']],
    [['status', '127.0.0.1', '1']],
    // After --, an address-like key is data: the command gets as far as connecting.
    [['keys', '-p', '1', '--', '127.0.0.1']],
    [['set', '-H', '127.0.0.1', '-p', '1', 'k', '--', '-1']],
  ])('kvndb %j passes the command line and exits 1 at connecting', (args) => {
    const r = kvndb(...(args as string[]));
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
