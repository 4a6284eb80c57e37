import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { ConsoleClient } from './context';
import { HistoryFile } from './history';
import { promptFor, runRepl } from './repl';
import { ConsoleSession } from './session';

/** A client that answers ping and set, enough to drive the line editor. */
function tinyClient(): ConsoleClient & { data: Map<string, Buffer> } {
  const data = new Map<string, Buffer>();
  return {
    data,
    async ping() {},
    async set(key: string, value: Uint8Array) {
      data.set(key, Buffer.from(value));
    },
    async getBuffer(key: string) {
      return data.get(key) ?? null;
    },
  } as unknown as ConsoleClient & { data: Map<string, Buffer> };
}

/** Runs the REPL over fake terminal streams, typing `keys` one chunk at a time. */
async function drive(history: HistoryFile | null, typed: string[], client = tinyClient()) {
  const input = new PassThrough();
  const output = new PassThrough();
  let screen = '';
  output.on('data', (c: Buffer) => (screen += c.toString()));
  const session = new ConsoleSession({ client, interactive: true, json: false, output, errorOutput: output });
  const done = runRepl({ session, input, output, label: 'h:1', history });
  for (const chunk of typed) {
    input.write(chunk);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 5));
  }
  await done;
  return { screen, client };
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvndb-repl-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('runRepl', () => {
  it('saves entered lines to the history file and recalls them with Up in the next run', async () => {
    const file = path.join(dir, 'history');
    await drive(new HistoryFile(file), ['set a 1\r', ' set secret 2\r', 'quit\r']);
    expect(fs.readFileSync(file, 'utf8')).toBe('set a 1\nquit\n');
    // Run 2: Up twice passes quit and lands on `set a 1`; Enter runs it again.
    const client = tinyClient();
    await drive(new HistoryFile(file), ['\x1b[A\x1b[A\r', 'quit\r'], client);
    expect(client.data.get('a')?.toString()).toBe('1');
  });

  it('Ctrl+C drops the typed line and stays; on an empty line it leaves', async () => {
    const { screen, client } = await drive(null, ['set a 1', '\x03', 'set b 2\r', '\x03']);
    expect(client.data.has('a')).toBe(false);
    expect(client.data.get('b')?.toString()).toBe('2');
    expect(screen).toContain('^C');
  });

  it('colours the prompt only when asked', () => {
    expect(promptFor('h:1', false)).toBe('kvndb h:1 (disconnected)> ');
    const coloured = promptFor('h:1', false, { enabled: true, prompt: (s) => `<b>${s}</b>`, warn: (s) => `<y>${s}</y>`, error: (s) => s });
    expect(coloured).toBe('<b>kvndb h:1</b> <y>(disconnected)</y>> ');
  });
});
