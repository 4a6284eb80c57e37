/**
 * The console as a person meets it: `kvndb cmd` on a real pseudo-terminal (util-linux
 * `script` allocates one), against a real router and memory replica. Keys are typed as a
 * terminal sends them (\r for Enter, \t for Tab, \x03 for Ctrl+C, ESC [ A for Up) and the
 * screen is read back with the terminal control sequences removed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import type { KvndbClient } from '@kvndb/client';
import { KVNDB_BIN, client, sleep, startReplica, startRouter, stopAll, tempDir, waitInSync, type RouterHandle } from './helpers/cluster';

jest.setTimeout(60000);

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
const describePty = hasScript ? describe : describe.skip;

const UP = '\x1b[A';
const CTRL_C = '\x03';

/** One `kvndb cmd` on its own pseudo-terminal, 100 columns wide. */
class PtyConsole {
  readonly child: ChildProcess;
  private raw = '';
  exitCode: number | null = null;
  readonly exited: Promise<void>;

  constructor(port: number, env: Record<string, string>) {
    const command = `stty cols 100 rows 40; exec '${process.execPath}' '${KVNDB_BIN}' cmd 127.0.0.1 ${port}`;
    this.child = spawn('script', ['-qfec', command, '/dev/null'], {
      env: { ...process.env, KVNDB_PASSWORD: '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.raw += chunk.toString('utf8')));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.raw += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code) => {
        this.exitCode = code ?? -1;
        resolve();
      });
    });
    consoles.add(this);
  }

  /** What the terminal shows, without colour and cursor sequences. */
  get screen(): string {
    return stripVTControlCharacters(this.raw).replace(/\r/g, '');
  }

  get rawOutput(): string {
    return this.raw;
  }

  /** A position to search from, so a check only sees what came after it. */
  mark(): number {
    return this.screen.length;
  }

  type(keys: string): void {
    this.child.stdin!.write(keys);
  }

  async waitFor(pattern: RegExp, from = 0, timeoutMs = 15000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.screen.slice(from).match(pattern);
      if (m) return m;
      if (this.exitCode !== null) throw new Error(`console exited (${this.exitCode}) before ${pattern}:\n${this.screen}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; the screen:\n${this.screen.slice(from)}`);
      await sleep(20);
    }
  }

  /** Types a line and waits for the prompt that follows it; returns what it printed. */
  async run(line: string, prompt: RegExp): Promise<string> {
    const from = this.mark();
    this.type(line + '\r');
    const echoed = await this.waitFor(new RegExp(escapeRegExp(line.slice(-20)) + '\n'), from);
    const start = from + echoed.index! + echoed[0].length;
    const next = await this.waitFor(prompt, start);
    return this.screen.slice(start, start + next.index!);
  }

  async kill(): Promise<void> {
    if (this.exitCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
      await this.exited;
      clearTimeout(timer);
    }
    consoles.delete(this);
  }
}

const consoles = new Set<PtyConsole>();

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describePty('the console on a terminal', () => {
  let router: RouterHandle;
  let db: KvndbClient;
  let dir: string;
  let prompt: RegExp;

  beforeEach(async () => {
    dir = tempDir('kvndb-pty-');
    router = await startRouter();
    startReplica('memory', router.port, { name: 'm1' });
    db = await client(router.port);
    await waitInSync(db, 1);
    prompt = new RegExp(`kvndb 127\\.0\\.0\\.1:${router.port}> `);
  });

  afterEach(async () => {
    await Promise.all([...consoles].map((c) => c.kill()));
    await db?.close().catch(() => undefined);
    await stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const open = (env: Record<string, string> = {}) =>
    new PtyConsole(router.port, { NO_COLOR: '1', KVNDB_HISTORY: path.join(dir, 'history'), ...env });

  it('watch PREFIX tails changes until Ctrl+C; get KEY --wait MS waits for the key', async () => {
    const con = open();
    await con.waitFor(prompt);
    let from = con.mark();
    con.type('watch tail:\r');
    await con.waitFor(/\(watching keys starting with tail: after seq \d+; Ctrl\+C stops\)/, from);
    await db.set('tail:a', 'one');
    await db.set('other', 'x');
    await db.del('tail:a');
    await con.waitFor(/\d+ set tail:a one\n\d+ del tail:a\n/, from);
    from = con.mark();
    con.type(CTRL_C);
    await con.waitFor(/\(2 changes\)/, from);
    await con.waitFor(prompt, from);
    expect(con.screen.slice(from)).not.toMatch(/other/);

    from = con.mark();
    con.type('get later --wait 10000\r');
    await sleep(300);
    await db.set('later', 'arrived');
    await con.waitFor(/arrived\n/, from);
    await con.waitFor(prompt, from);
    expect(await con.run('get never --wait 100', prompt)).toBe('(nil)\n');
  });

  it('shows the prompt, completes a command name with Tab, and quotes arguments', async () => {
    const con = open();
    await con.waitFor(prompt);
    let from = con.mark();
    con.type('stat\t');
    await con.waitFor(/status $/, from);
    from = con.mark();
    con.type('\r');
    await con.waitFor(/replicas\s+1 \(1 in sync\)/, from);
    await con.waitFor(prompt, from);

    expect(await con.run(`set "a key" 'it''s "two" words'`, prompt)).toBe('OK\n');
    expect(await con.run('get a\\ key', prompt)).toBe('its "two" words\n');
    expect((await db.getBuffer('a key'))?.toString()).toBe('its "two" words');
    expect(await con.run('set bin "\\xff\\x00"', prompt)).toBe('OK\n');
    expect(await con.run('get bin', prompt)).toBe('<hex:ff00>\n');
    expect(await con.run('get "unclosed', prompt)).toBe('(error) BAD_REQUEST: unterminated double quote\n');
  });

  it('completes key names with Tab', async () => {
    await db.set('user:42', 'answer');
    await db.set('other', 'x');
    const con = open();
    await con.waitFor(prompt);
    const from = con.mark();
    con.type('get user\t');
    await con.waitFor(/get user:42 $/, from);
    con.type('\r');
    await con.waitFor(/\nanswer\n/, from);
  });

  it('stores a file with set KEY @FILE and saves a value with get KEY > FILE', async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x0d, 0x0a, 0xff]);
    fs.writeFileSync(path.join(dir, 'in.bin'), bytes);
    const con = open();
    await con.waitFor(prompt);
    expect(await con.run(`set blob @${path.join(dir, 'in.bin')}`, prompt)).toBe('OK\n');
    expect(await db.getBuffer('blob')).toEqual(bytes);
    const out = path.join(dir, 'out.bin');
    expect(await con.run(`get blob > ${out}`, prompt)).toBe(`(wrote 8 bytes to ${out})\n`);
    expect(fs.readFileSync(out)).toEqual(bytes);
  });

  it('keeps history across runs: a line from run 1 comes back with Up in run 2', async () => {
    const historyFile = path.join(dir, 'history');
    const first = open();
    await first.waitFor(prompt);
    expect(await first.run('set remembered yes', prompt)).toBe('OK\n');
    first.type('quit\r');
    await first.exited;
    expect(first.exitCode).toBe(0);
    expect(fs.readFileSync(historyFile, 'utf8')).toBe('set remembered yes\nquit\n');

    await db.del('remembered');
    const second = open();
    await second.waitFor(prompt);
    const from = second.mark();
    second.type(UP + UP);
    await second.waitFor(/set remembered yes/, from);
    second.type('\r');
    await second.waitFor(/\nOK\n/, from);
    expect((await db.getBuffer('remembered'))?.toString()).toBe('yes');
  });

  it('Ctrl+C cancels the line being typed without leaving; on an empty line it leaves', async () => {
    const con = open();
    await con.waitFor(prompt);
    let from = con.mark();
    con.type('set cancelled 1');
    await con.waitFor(/set cancelled 1/, from);
    from = con.mark();
    con.type(CTRL_C);
    await con.waitFor(/\^C\n/, from);
    await con.waitFor(prompt, from);
    expect(await con.run('get cancelled', prompt)).toBe('(nil)\n');
    expect(await db.has('cancelled')).toBe(false);
    con.type(CTRL_C);
    await con.exited;
    expect(con.exitCode).toBe(0);
  });

  it('lays keys out in columns across the terminal', async () => {
    await db.mset(Array.from({ length: 30 }, (_, i) => [`k${String(i).padStart(2, '0')}`, 'v'] as [string, string]));
    const con = open();
    await con.waitFor(prompt);
    const out = await con.run('keys k', prompt);
    const lines = out.trimEnd().split('\n');
    // 3-character keys in 5-wide cells: 20 to a 100-column line, so 30 keys take 2 lines.
    expect(lines).toHaveLength(2);
    expect(lines[0].split(/\s+/)).toEqual(Array.from({ length: 15 }, (_, i) => `k${String(i * 2).padStart(2, '0')}`));
    expect(lines[0].startsWith('k00  k02  k04')).toBe(true);
    expect(lines[1].startsWith('k01  k03  k05')).toBe(true);
    expect(lines.join(' ').split(/\s+/).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `k${String(i).padStart(2, '0')}`));
  });

  it('colours errors on a terminal, and not under NO_COLOR', async () => {
    const plain = open();
    await plain.waitFor(prompt);
    await plain.run('bogus', prompt);
    expect(plain.rawOutput).toContain('(error) BAD_REQUEST: unknown command');
    expect(plain.rawOutput).not.toMatch(/\x1b\[3[13]m/);

    const coloured = open({ NO_COLOR: '' });
    await coloured.waitFor(prompt);
    await coloured.run('bogus', prompt);
    expect(coloured.rawOutput).toContain('\x1b[31m(error) BAD_REQUEST: unknown command');
  });

  it('shows (disconnected) while the router is down and recovers when it is back on the same port', async () => {
    const con = open();
    await con.waitFor(prompt);
    const port = router.port;
    let from = con.mark();
    await router.proc.kill('SIGKILL');
    await con.waitFor(new RegExp(`\\(disconnected from 127\\.0\\.0\\.1:${port}; reconnecting\\)`), from);
    await con.waitFor(new RegExp(`kvndb 127\\.0\\.0\\.1:${port} \\(disconnected\\)> `), from);

    from = con.mark();
    router = await startRouter([], port);
    await con.waitFor(new RegExp(`\\(connected to 127\\.0\\.0\\.1:${port}\\)`), from, 30000);
    await con.waitFor(prompt, from);
    expect(await con.run('ping', prompt)).toMatch(/^PONG \(\d+\.\d\d ms\)\n$/);
  });
});
