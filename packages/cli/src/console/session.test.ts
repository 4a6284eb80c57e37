import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { KvndbError, compareKeys } from '@kvndb/shared';
import type { Entry, KeysPage, LatestEntry, PubSubMessage, RouterStatus, WriteResult } from '@kvndb/shared';
import type { ConsoleBatchOp, ConsoleClient } from './context';
import { complete, promptFor } from './repl';
import { ConsoleSession, runLines } from './session';
import { MORE_HINT } from './commands/keys';
import { NO_REPLICAS_HINT } from './format';

/** An in-process stand-in for the client: a sorted map with the client's paging contract. */
class FakeClient implements ConsoleClient {
  readonly data = new Map<string, Buffer>();
  /** Milliseconds to live per key, as the fake's whole notion of expiry. */
  readonly ttls = new Map<string, number>();
  failWith: KvndbError | null = null;
  keysCalls = 0;

  private check(): void {
    if (this.failWith) throw this.failWith;
  }
  async getBuffer(key: string) {
    this.check();
    return this.data.get(key) ?? null;
  }
  readonly lists = new Map<string, Buffer[]>();
  async push(key: string, ...values: Uint8Array[]) {
    this.check();
    const l = this.lists.get(key) ?? [];
    l.push(...values.map((v) => Buffer.from(v)));
    this.lists.set(key, l);
    return l.length;
  }
  async popBuffer(key: string) {
    this.check();
    return this.lists.get(key)?.shift() ?? null;
  }
  async peekBuffer(key: string) {
    this.check();
    return this.lists.get(key)?.[0] ?? null;
  }
  watch(): never {
    throw new KvndbError('NOT_SUPPORTED', 'the fake client does not watch (test/console-pty.test.ts covers watch)');
  }
  async set(key: string, value: Uint8Array, options?: { ttlMs?: number }) {
    this.check();
    this.data.set(key, Buffer.from(value));
    if (options?.ttlMs) this.ttls.set(key, options.ttlMs);
    else this.ttls.delete(key);
    return true;
  }
  async expire(key: string, ttlMs: number) {
    this.check();
    if (!this.data.has(key)) return false;
    this.ttls.set(key, ttlMs);
    return true;
  }
  async ttl(key: string) {
    this.check();
    return this.data.has(key) ? (this.ttls.get(key) ?? -1) : -2;
  }
  async persist(key: string) {
    this.check();
    return this.ttls.delete(key);
  }
  async del(key: string) {
    this.check();
    return this.data.delete(key);
  }
  async has(key: string) {
    this.check();
    return this.data.has(key);
  }
  async keys(prefix: string, options: { limit?: number; cursor?: string | null }): Promise<KeysPage> {
    this.check();
    this.keysCalls++;
    const limit = options.limit ?? 1000;
    const all = [...this.data.keys()]
      .filter((k) => k.startsWith(prefix) && (options.cursor == null || compareKeys(k, options.cursor) > 0))
      .sort(compareKeys);
    const keys = all.slice(0, limit);
    return { keys, cursor: all.length > limit ? keys[keys.length - 1] : null };
  }
  async mgetBuffer(keys: string[]) {
    this.check();
    return keys.map((k) => this.data.get(k) ?? null);
  }
  async mset(entries: Array<[string, Uint8Array]>) {
    this.check();
    for (const [k, v] of entries) this.data.set(k, Buffer.from(v));
  }
  async batch(ops: ConsoleBatchOp[]): Promise<WriteResult[]> {
    this.check();
    return ops.map((op) => (op.op === 'del' ? this.data.delete(op.key) : (this.data.set(op.key, Buffer.from(op.value)), true)));
  }
  async ping() {
    this.check();
  }
  async getEntry(key: string): Promise<Entry | null> {
    const value = this.data.get(key);
    if (value === undefined) return null;
    // A key named like a page carries a content type, as one stored through the HTTP door would.
    return key.endsWith('.html') ? { value: Buffer.from(value), version: 1, updated: 0, expires: 0, contentType: 'text/html' } : { value: Buffer.from(value), version: 1, updated: 0, expires: 0 };
  }

  async latest(keys: string[]): Promise<LatestEntry | null> {
    const key = keys.find((k) => this.data.has(k));
    return key === undefined ? null : { key, ...(await this.getEntry(key))! };
  }

  async incrBig(key: string, by: bigint | number | string = 1n) {
    this.check();
    const n = BigInt(this.data.get(key)?.toString() ?? '0') + BigInt(by);
    this.data.set(key, Buffer.from(n.toString()));
    return n;
  }
  async append(key: string, value: Uint8Array) {
    this.check();
    const v = Buffer.concat([this.data.get(key) ?? Buffer.alloc(0), value]);
    this.data.set(key, v);
    return v.length;
  }
  async strlen(key: string) {
    this.check();
    return this.data.get(key)?.length ?? 0;
  }
  async rename(key: string, to: string) {
    this.check();
    const v = this.data.get(key);
    if (v === undefined) throw new KvndbError('NO_SUCH_KEY', 'no such key');
    this.data.delete(key);
    this.data.set(to, v);
    return true;
  }
  async copy(from: string, to: string, options?: { replace?: boolean }) {
    this.check();
    const v = this.data.get(from);
    if (v === undefined || (this.data.has(to) && !options?.replace)) return false;
    this.data.set(to, v);
    return true;
  }
  async flush() {
    this.check();
    this.data.clear();
  }
  /** Pub/sub as the fake knows it: exact channels, and patterns ending in * as prefixes. */
  readonly subscribers: Array<{ names: string[]; pattern: boolean; fn: (m: PubSubMessage) => void }> = [];
  async publish(channel: string, message: Uint8Array) {
    this.check();
    let n = 0;
    for (const s of this.subscribers) {
      for (const name of s.names) {
        if (s.pattern ? channel.startsWith(name.replace(/\*$/, '')) : channel === name) {
          s.fn({ channel, message: Buffer.from(message), ...(s.pattern ? { pattern: name } : {}) });
          n++;
        }
      }
    }
    return n;
  }
  private async sub(names: string[], pattern: boolean, fn: (m: PubSubMessage) => void) {
    this.check();
    const entry = { names, pattern, fn };
    this.subscribers.push(entry);
    return { unsubscribe: async () => void this.subscribers.splice(this.subscribers.indexOf(entry), 1) };
  }
  subscribe(names: string[], fn: (m: PubSubMessage) => void) {
    return this.sub(names, false, fn);
  }
  psubscribe(names: string[], fn: (m: PubSubMessage) => void) {
    return this.sub(names, true, fn);
  }
  async status(): Promise<RouterStatus> {
    this.check();
    return {
      version: '0.1.0',
      protocol: 1,
      epoch: 7,
      seq: 99,
      uptimeMs: 1000,
      writeAck: 'all',
      replicas: [],
      clients: 1,
      ops: { reads: 0, writes: 0, readsPerSec: 0, writesPerSec: 0 },
    };
  }
}

function setup(options: { interactive?: boolean; json?: boolean; width?: number; color?: boolean; confirm?: (q: string) => Promise<boolean> } = {}) {
  const client = new FakeClient();
  const out = new PassThrough();
  const err = new PassThrough();
  let outText = '';
  let errText = '';
  out.on('data', (chunk: Buffer) => (outText += chunk.toString()));
  err.on('data', (chunk: Buffer) => (errText += chunk.toString()));
  const session = new ConsoleSession({
    client,
    interactive: options.interactive ?? false,
    json: options.json ?? false,
    output: out,
    errorOutput: err,
    columns: options.width === undefined ? undefined : () => options.width!,
    color: options.color,
    confirm: options.confirm,
  });
  return {
    client,
    session,
    out: () => outText,
    err: () => errText,
    lines: () => outText.split('\n').filter((l) => l !== ''),
  };
}

describe('console pub/sub', () => {
  it('publish prints the receivers; subscribe and psubscribe tail messages until Ctrl+C, then unsubscribe', async () => {
    const t = setup();
    expect(await runLines(t.session, ['publish news nobody'])).toBe(true);
    const tailing = t.session.execute('subscribe news weather');
    while (!t.out().includes('(subscribed')) await new Promise((r) => setTimeout(r, 5));
    await t.client.publish('news', Buffer.from('hello'));
    await t.client.publish('weather', Buffer.from('rain\n'));
    t.session.ctx.aborted = true;
    expect(await tailing).toBe(true);
    expect(t.client.subscribers).toHaveLength(0);
    expect(t.lines()).toEqual(['(0 receivers)', '(subscribed to news, weather; Ctrl+C stops)', 'news: hello', 'weather: "rain\\n"', '(unsubscribed after 2 messages)']);
  });

  it('psubscribe shows the pattern matched; --json prints one object per message', async () => {
    const t = setup({ json: true });
    const tailing = t.session.execute('psubscribe news.*');
    while (t.client.subscribers.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(await t.client.publish('news.tech', Buffer.from('hi'))).toBe(1);
    t.session.ctx.aborted = true;
    expect(await tailing).toBe(true);
    expect(t.lines()).toEqual([JSON.stringify({ pattern: 'news.*', channel: 'news.tech', message: 'hi' })]);
    expect(await runLines(t.session, ['publish news.tech x'])).toBe(true);
    expect(t.lines()[1]).toBe('0');
  });
});

describe('console session (script mode)', () => {
  it('sets, gets, and shows (nil) for a missing key', async () => {
    const t = setup();
    expect(await runLines(t.session, ['set greeting "hello world"', 'get greeting', 'get missing'])).toBe(true);
    expect(t.lines()).toEqual(['OK', 'hello world', '(nil)']);
    expect(t.client.data.get('greeting')?.toString()).toBe('hello world');
  });

  it('entry shows a value with its version and expiry; latest the most recently updated key', async () => {
    const t = setup();
    await runLines(t.session, ['set a 1', 'set b 2', 'entry a', 'version b', 'entry nope', 'latest nope b a']);
    expect(t.lines()).toEqual([
      'OK',
      'OK',
      '1',
      'version 1, updated unknown, no expiry',
      '2',
      'version 1, updated unknown, no expiry',
      '(nil)',
      'b: 2',
      'version 1, updated unknown, no expiry',
    ]);
    const u = setup();
    await runLines(u.session, ['set p.html <p/>', 'entry p.html']);
    expect(u.lines()).toEqual(['OK', '<p/>', 'version 1, updated unknown, no expiry, content type text/html']);
  });

  it('sets with --ttl, and expire, ttl and persist a key', async () => {
    const t = setup();
    expect(await runLines(t.session, ['set s v --ttl 5000', 'ttl s', 'persist s', 'ttl s', 'persist s', 'expire s 700', 'ttl s', 'expire nokey 10', 'ttl nokey'])).toBe(true);
    expect(t.lines()).toEqual(['OK', '5000 ms', 'true', '-1 (no expiry)', 'false', 'true', '700 ms', 'false', '-2 (no such key)']);
    for (const bad of ['set s v --ttl 0', 'set s v --ttl x', 'set s v --tll 5', 'set s v --ttl', 'expire s -5', 'expire s 1.5']) {
      const u = setup();
      expect(await runLines(u.session, [bad])).toBe(false);
      expect(u.err()).toMatch(/milliseconds|usage/);
      expect(u.client.data.size).toBe(0);
    }
  });

  it('stores binary values from \\x escapes and shows them as hex', async () => {
    const t = setup();
    await runLines(t.session, ['set bin "\\xff\\x00"', 'get bin']);
    expect([...t.client.data.get('bin')!]).toEqual([0xff, 0]);
    expect(t.lines()[1]).toBe('<hex:ff00>');
  });

  it('accepts the original aliases and upper case', async () => {
    const t = setup();
    await runLines(t.session, ['SET a 1', 'show a', 'view a', 'print a', 'list', 'getkeys', 'remove a', 'delete a']);
    expect(t.lines()).toEqual(['OK', '1', '1', '1', 'a', 'a', '(integer) 1', '(integer) 0']);
  });

  it('deletes several keys in one batch and counts the ones that existed', async () => {
    const t = setup();
    await runLines(t.session, ['mset a 1 b 2 c 3', 'del a b x', 'has a', 'has c', 'mget a c x']);
    expect(t.lines()).toEqual(['OK', '(integer) 2', 'false', 'true', '(nil)', '3', '(nil)']);
  });

  it('counters, append, strlen, rename and copy', async () => {
    const t = setup();
    await runLines(t.session, ['incr hits', 'incr hits 10', 'decr hits', 'decrby hits 3', 'incr big 9223372036854775806', 'incr hits x']);
    await runLines(t.session, ['append s Hello', 'append s " World"', 'strlen s', 'strlen none']);
    await runLines(t.session, ['rename s t', 'rename s u', 'copy t u', 'copy t u', 'copy t u --replace', 'get u']);
    expect(t.lines()).toEqual([
      '(integer) 1', '(integer) 11', '(integer) 10', '(integer) 7', '(integer) 9223372036854775806',
      '(integer) 5', '(integer) 11', '(integer) 11', '(integer) 0',
      'OK', '(integer) 1', '(integer) 0', '(integer) 1', 'Hello World',
    ]);
    expect(t.err()).toMatch(/the step must be an integer/);
    expect(t.err()).toMatch(/NO_SUCH_KEY/);
    expect(t.client.data.has('s')).toBe(false);
  });

  it('flush: a script runs it; a terminal question must be answered yes; the interactive console wants --yes', async () => {
    const script = setup();
    script.client.data.set('a', Buffer.from('1'));
    await runLines(script.session, ['flush']);
    expect([script.lines(), script.client.data.size]).toEqual([['OK'], 0]);

    const questions: string[] = [];
    for (const [answer, left] of [[false, 1], [true, 0]] as const) {
      const asked = setup({ confirm: async (q) => (questions.push(q), answer) });
      asked.client.data.set('a', Buffer.from('1'));
      await runLines(asked.session, ['flush']);
      expect(asked.client.data.size).toBe(left);
    }
    expect(questions).toEqual(['Remove every key?', 'Remove every key?']);
    const yes = setup({ confirm: async () => { throw new Error('not asked with --yes'); } });
    yes.client.data.set('a', Buffer.from('1'));
    await runLines(yes.session, ['flush -y']);
    expect(yes.client.data.size).toBe(0);

    const person = setup({ interactive: true });
    person.client.data.set('a', Buffer.from('1'));
    await runLines(person.session, ['flush', 'flush now']);
    expect(person.client.data.size).toBe(1);
    expect(person.out()).toMatch(/type `flush --yes`/);
    await runLines(person.session, ['flush --yes']);
    expect(person.client.data.size).toBe(0);
  });

  it('lists every key across pages when not interactive', async () => {
    const t = setup();
    for (let i = 0; i < 2500; i++) t.client.data.set(`k${String(i).padStart(4, '0')}`, Buffer.from('v'));
    t.client.data.set('other', Buffer.from('v'));
    expect(await t.session.execute('keys k')).toBe(true);
    const lines = t.lines();
    expect(lines).toHaveLength(2500);
    expect(lines[0]).toBe('k0000');
    expect(lines[2499]).toBe('k2499');
    expect(t.client.keysCalls).toBe(3);
  });

  it('prints nothing for no keys in a script, so line counts stay honest', async () => {
    const t = setup();
    expect(await t.session.execute('keys')).toBe(true);
    expect(t.out()).toBe('');
  });

  it('reports failure but runs the remaining lines, errors on stderr', async () => {
    const t = setup();
    const ok = await runLines(t.session, ['get', 'frobnicate x', 'set a 1', 'mset a', 'mset a 1 b', 'get "open']);
    expect(ok).toBe(false);
    expect(t.lines()).toEqual(['OK']);
    expect(t.err().trim().split('\n')).toEqual([
      '(error) BAD_REQUEST: usage: get KEY [--wait MS] [> FILE]',
      '(error) BAD_REQUEST: unknown command "frobnicate"; type help for the list',
      '(error) BAD_REQUEST: usage: mset KEY VALUE [KEY VALUE...]',
      '(error) BAD_REQUEST: mset needs KEY VALUE pairs; the last key has no value',
      '(error) BAD_REQUEST: unterminated double quote',
    ]);
  });

  it('adds a hint to NO_REPLICAS and AUTH_FAILED errors', async () => {
    const t = setup();
    t.client.failWith = KvndbError.noReplicas();
    expect(await t.session.execute('get a')).toBe(false);
    t.client.failWith = KvndbError.authFailed();
    expect(await t.session.execute('get a')).toBe(false);
    const lines = t.err().trim().split('\n');
    expect(lines[0]).toBe('(error) NO_REPLICAS: no in-sync replica is available');
    expect(lines[1]).toMatch(/^hint: .*kvndb memory/);
    expect(lines[2]).toMatch(/^\(error\) AUTH_FAILED: /);
    expect(lines[3]).toMatch(/^hint: .*KVNDB_PASSWORD/);
  });

  it('turns an unexpected exception into one INTERNAL line', async () => {
    const t = setup();
    t.client.getBuffer = async () => {
      throw new TypeError('boom');
    };
    expect(await t.session.execute('get a')).toBe(false);
    expect(t.err()).toBe('(error) INTERNAL: boom\n');
  });

  it('skips blank lines and comments, and stops at quit', async () => {
    const t = setup();
    expect(await runLines(t.session, ['', '  # a comment', 'set a 1', 'quit', 'set b 2'])).toBe(true);
    expect(t.client.data.has('b')).toBe(false);
    expect(t.lines()).toEqual(['OK']);
  });

  it('shows help for one command and for all', async () => {
    const t = setup();
    await runLines(t.session, ['help delete', 'help']);
    const text = t.out();
    expect(text).toContain('usage: del KEY [KEY...]');
    expect(text).toContain('aliases: delete, remove');
    for (const usage of ['get KEY', 'set KEY VALUE', 'keys [--all] [PREFIX]', 'mget KEY [KEY...]', 'status', 'quit']) {
      expect(text).toContain(usage);
    }
  });

  it('shows status as a table', async () => {
    const t = setup();
    await t.session.execute('status');
    expect(t.out()).toMatch(/^epoch\s+7$/m);
    expect(t.out()).toMatch(/^seq\s+99$/m);
  });
});

describe('console session (--json)', () => {
  it('prints one JSON value per command, errors included', async () => {
    const t = setup({ json: true });
    t.client.data.set('b', Buffer.from([0xff]));
    const ok = await runLines(t.session, ['set a "x y"', 'get a', 'get b', 'get nope', 'mget a nope', 'has a', 'del a', 'keys', 'bogus', 'status']);
    expect(ok).toBe(false);
    const values = t.lines().map((line) => JSON.parse(line));
    expect(values.slice(0, 8)).toEqual(['OK', 'x y', { hex: 'ff' }, null, ['x y', null], true, 1, ['b']]);
    expect(values[8]).toEqual({ error: { code: 'BAD_REQUEST', message: 'unknown command "bogus"; type help for the list' } });
    expect(values[9]).toMatchObject({ epoch: 7, seq: 99 });
    expect(t.err()).toBe('');
  });
});

describe('console session (interactive)', () => {
  it('pages keys 1000 at a time and continues with more', async () => {
    const t = setup({ interactive: true });
    for (let i = 0; i < 1500; i++) t.client.data.set(`k${String(i).padStart(4, '0')}`, Buffer.from('v'));
    await t.session.execute('keys');
    let lines = t.lines();
    expect(lines).toHaveLength(1001);
    expect(lines[999]).toBe('k0999');
    expect(lines[1000]).toBe(MORE_HINT);
    await t.session.execute('more');
    lines = t.lines();
    expect(lines).toHaveLength(1501);
    expect(lines[1001]).toBe('k1000');
    expect(lines[1500]).toBe('k1499');
    await t.session.execute('more');
    expect(t.lines()[1501]).toBe('(no more keys)');
  });

  it('lists all keys with keys --all and keeps the prefix', async () => {
    const t = setup({ interactive: true });
    for (let i = 0; i < 1200; i++) t.client.data.set(`a${i}`, Buffer.from('v'));
    t.client.data.set('b', Buffer.from('v'));
    await t.session.execute('keys --all a');
    const lines = t.lines();
    expect(lines).toHaveLength(1200);
    expect(lines.every((l) => l.startsWith('a'))).toBe(true);
  });

  it('says (no keys) and numbers mget results', async () => {
    const t = setup({ interactive: true });
    await t.session.execute('keys');
    await t.session.execute('mset a 1');
    await t.session.execute('mget a b');
    expect(t.lines()).toEqual(['(no keys)', 'OK', '1) 1', '2) (nil)']);
  });

  it('prints errors where the user is looking', async () => {
    const t = setup({ interactive: true });
    await t.session.execute('nope');
    expect(t.out()).toContain('(error) BAD_REQUEST');
    expect(t.err()).toBe('');
  });

  it('stops a long listing when interrupted', async () => {
    const t = setup({ interactive: true });
    for (let i = 0; i < 3000; i++) t.client.data.set(`k${i}`, Buffer.from('v'));
    const realKeys = t.client.keys.bind(t.client);
    t.client.keys = async (prefix, options) => {
      const page = await realKeys(prefix, options);
      t.session.ctx.aborted = true; // Ctrl+C arrives while the first page is in flight
      return page;
    };
    expect(await t.session.execute('keys --all')).toBe(false);
    expect(t.client.keysCalls).toBe(1);
    expect(t.out()).toContain('(error) INTERRUPTED: interrupted after 1000 keys');
  });
});

describe('console completion and prompt', () => {
  it('completes command names and aliases', () => {
    expect(complete('ge')).toEqual([['get ', 'getkeys '], 'ge']);
    expect(complete('sta')[0]).toEqual(['status ']);
    expect(complete('st')[0]).toEqual(['status ', 'strlen ']);
    expect(complete('')[0]).toContain('mset ');
  });
  it('completes command names after help', () => {
    expect(complete('help del')).toEqual([['del', 'delete'], 'del']);
    expect(complete('help de')).toEqual([['decr', 'decrby', 'del', 'delete'], 'de']);
  });
  it('completes nothing inside arguments', () => {
    expect(complete('get ke')).toEqual([[], 'get ke']);
  });
  it('says when it is disconnected', () => {
    expect(promptFor('127.0.0.1:54565', true)).toBe('kvndb 127.0.0.1:54565> ');
    expect(promptFor('127.0.0.1:54565', false)).toBe('kvndb 127.0.0.1:54565 (disconnected)> ');
  });
});

describe('console values from and to files', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvndb-console-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('set KEY @FILE stores the file bytes exactly', async () => {
    const t = setup();
    const bytes = Buffer.from([0, 0xff, 0x0a, 0x41, 0x0d]);
    fs.writeFileSync(path.join(dir, 'in.bin'), bytes);
    expect(await t.session.execute(`set blob @${path.join(dir, 'in.bin')}`)).toBe(true);
    expect(t.client.data.get('blob')).toEqual(bytes);
    expect(t.lines()).toEqual(['OK']);
  });

  it('@@ stores a literal value starting with @, and mset reads files too', async () => {
    const t = setup();
    fs.writeFileSync(path.join(dir, 'v'), 'from file');
    expect(await runLines(t.session, ['set handle @@ann', 'set at @@', `mset a "@${path.join(dir, 'v')}" b @@x`])).toBe(true);
    expect(t.client.data.get('handle')?.toString()).toBe('@ann');
    expect(t.client.data.get('at')?.toString()).toBe('@');
    // A lone @ is a file name left out, not a guess.
    expect(await t.session.execute('set at2 @')).toBe(false);
    expect(t.err()).toBe('(error) BAD_REQUEST: a file name is missing; usage: set KEY @FILE\n');
    expect(t.client.data.get('a')?.toString()).toBe('from file');
    expect(t.client.data.get('b')?.toString()).toBe('@x');
  });

  it('says clearly when the file cannot be read, and stores nothing', async () => {
    const t = setup();
    const missing = path.join(dir, 'nope.txt');
    expect(await t.session.execute(`set k @${missing}`)).toBe(false);
    expect(await t.session.execute(`set k @${dir}`)).toBe(false);
    expect(t.client.data.has('k')).toBe(false);
    const errors = t.err().trim().split('\n');
    expect(errors[0]).toBe(`(error) BAD_REQUEST: cannot read ${missing}: no such file or directory`);
    expect(errors[1]).toMatch(/^\(error\) BAD_REQUEST: cannot read .*: illegal operation on a directory/);
  });

  it('get KEY > FILE writes the raw bytes and says how many', async () => {
    const t = setup();
    const bytes = Buffer.from([0xde, 0xad, 0, 0xbe, 0xef]);
    t.client.data.set('blob', bytes);
    const out1 = path.join(dir, 'out1');
    const out2 = path.join(dir, 'out2');
    expect(await runLines(t.session, [`get blob > ${out1}`, `get blob >${out2}`])).toBe(true);
    expect(fs.readFileSync(out1)).toEqual(bytes);
    expect(fs.readFileSync(out2)).toEqual(bytes);
    expect(t.lines()).toEqual([`(wrote 5 bytes to ${out1})`, `(wrote 5 bytes to ${out2})`]);
  });

  it('get of a missing key into a file prints (nil) and writes no file', async () => {
    const t = setup({ json: true });
    const out = path.join(dir, 'out');
    t.client.data.set('a', Buffer.from('xyz'));
    expect(await runLines(t.session, [`get missing > ${out}`, `get a > ${out}`])).toBe(true);
    expect(t.lines().map((l) => JSON.parse(l))).toEqual([null, { wrote: 3, file: out }]);
    expect(fs.readFileSync(out, 'utf8')).toBe('xyz');
  });

  it('refuses a malformed redirection and an unwritable file', async () => {
    const t = setup();
    t.client.data.set('a', Buffer.from('1'));
    expect(await runLines(t.session, ['get a >', 'get a b', 'get a >> f', `get a > ${path.join(dir, 'no', 'f')}`])).toBe(false);
    expect(t.err().trim().split('\n')).toEqual([
      '(error) BAD_REQUEST: usage: get KEY [--wait MS] [> FILE]',
      '(error) BAD_REQUEST: usage: get KEY [--wait MS] [> FILE]',
      '(error) BAD_REQUEST: usage: get KEY [--wait MS] [> FILE]',
      `(error) BAD_REQUEST: cannot write ${path.join(dir, 'no', 'f')}: no such file or directory`,
    ]);
    expect(await t.session.execute('get a >>f')).toBe(false);
    expect(t.err()).toContain('>> (append) is not supported');
  });
});

describe('console layout and colour', () => {
  it('lists keys in columns across a terminal', async () => {
    const t = setup({ interactive: true, width: 30 });
    for (const k of ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8']) t.client.data.set(k, Buffer.from('v'));
    await t.session.execute('keys');
    // cell 4 wide, (30 + 2) / 4 = 8 per line
    expect(t.lines()).toEqual(['a1  a2  a3  a4  a5  a6  a7  a8']);
    await t.session.execute('keys --all a');
    expect(t.lines()[1]).toBe('a1  a2  a3  a4  a5  a6  a7  a8');
  });

  it('wraps columns and keeps the more hint on its own line', async () => {
    const t = setup({ interactive: true, width: 20 });
    for (let i = 0; i < 1005; i++) t.client.data.set(`k${String(i).padStart(4, '0')}`, Buffer.from('v'));
    await t.session.execute('keys');
    const lines = t.lines();
    // 7-wide cells, 3 per line, 1000 keys: 334 lines plus the hint
    expect(lines).toHaveLength(335);
    expect(lines[0]).toBe('k0000  k0334  k0668');
    expect(lines[334]).toBe(MORE_HINT);
  });

  it('keeps one key per line for --json and without a terminal width', async () => {
    const t = setup({ interactive: true, json: true, width: 80 });
    t.client.data.set('a', Buffer.from('v'));
    t.client.data.set('b', Buffer.from('v'));
    await t.session.execute('keys');
    expect(JSON.parse(t.lines()[0])).toEqual(['a', 'b']);
  });

  it('colours errors red and hints yellow only when asked', async () => {
    const coloured = setup({ interactive: true, color: true });
    coloured.client.failWith = KvndbError.noReplicas();
    await coloured.session.execute('get a');
    expect(coloured.out()).toBe(
      '\x1b[31m(error) NO_REPLICAS: no in-sync replica is available\x1b[39m\n\x1b[33m' + NO_REPLICAS_HINT + '\x1b[39m\n',
    );
    const plain = setup({ interactive: true });
    await plain.session.execute('nope');
    expect(plain.out()).not.toContain('\x1b');
    const json = setup({ json: true, color: true });
    await json.session.execute('nope');
    expect(json.out()).not.toContain('\x1b');
  });
});
