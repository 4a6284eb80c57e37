import readline from 'node:readline';
import type { EventEmitter } from 'node:events';
import { NO_COLORS, palette, type Palette } from './colors';
import { createCompleter } from './completion';
import { HISTORY_SIZE, type HistoryFile } from './history';
import type { ConsoleSession } from './session';

export interface ReplOptions {
  session: ConsoleSession;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** HOST:PORT as shown in the prompt. */
  label: string;
  /** The client's connection events: the prompt says when it is reconnecting. */
  events?: EventEmitter;
  /** Where history persists between runs (see history.ts); none keeps it for this run only. */
  history?: HistoryFile | null;
  /** Colour the prompt and notices (a terminal without NO_COLOR; see colors.ts). */
  color?: boolean;
}

export function promptFor(label: string, connected: boolean, colors: Palette = NO_COLORS): string {
  return `${colors.prompt(`kvndb ${label}`)}${connected ? '' : ' ' + colors.warn('(disconnected)')}> `;
}

export { complete } from './completion';

/**
 * The interactive console. Lines are run one at a time in order (a pasted block does
 * not run concurrently). Ctrl+C stops a running listing or clears the line; on an empty
 * line it leaves, as do quit, exit and Ctrl+D.
 */
export async function runRepl(options: ReplOptions): Promise<void> {
  const { session, output, label } = options;
  const colors = palette(options.color === true);
  const history = options.history ?? null;
  let connected = true;
  let running = false;
  let atLineStart = false;
  const rl = readline.createInterface({
    input: options.input,
    output,
    terminal: true,
    completer: createCompleter(session.ctx.client),
    history: history ? history.load() : [], // newest first, as readline wants it
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
    prompt: promptFor(label, true, colors),
  });
  // readline tells us each line it adds to its history; that is the moment to save it.
  rl.on('history', (lines: string[]) => {
    if (lines.length && lines[0].startsWith(' ')) lines.shift(); // `ignorespace`: not even in memory
    else if (history && lines.length) history.add(lines[0], lines);
  });

  // Connection changes are shown between the last output and a fresh prompt, keeping
  // whatever the user had typed.
  const notify = (message: string, nowConnected: boolean) => {
    if (connected === nowConnected) return;
    connected = nowConnected;
    rl.setPrompt(promptFor(label, connected, colors));
    if (running) {
      output.write(colors.warn(message) + '\n');
      return;
    }
    readline.clearLine(output, 0);
    readline.cursorTo(output, 0);
    output.write(colors.warn(message) + '\n');
    rl.prompt(true);
  };
  const onDisconnect = () => notify(`(disconnected from ${label}; reconnecting)`, false);
  const onConnect = () => notify(`(connected to ${label})`, true);
  options.events?.on('disconnect', onDisconnect);
  options.events?.on('reconnecting', onDisconnect);
  options.events?.on('connect', onConnect);

  rl.on('SIGINT', () => {
    if (running) {
      session.ctx.aborted = true;
      output.write('^C\n');
    } else if (rl.line.length > 0) {
      output.write('^C\n');
      // Drop what was typed and start a fresh line.
      const editable = rl as unknown as { line: string; cursor: number };
      editable.line = '';
      editable.cursor = 0;
      rl.prompt();
    } else {
      output.write('\n');
      atLineStart = true;
      rl.close();
    }
  });
  // Ctrl+D leaves the cursor after the prompt; end the line so the shell's prompt is clean.
  rl.on('close', () => {
    if (!session.ctx.quitting && !atLineStart) output.write('\n');
  });

  try {
    rl.prompt();
    for await (const line of rl) {
      running = true;
      try {
        await session.execute(line);
      } finally {
        running = false;
      }
      if (session.ctx.quitting) break;
      rl.prompt();
    }
  } finally {
    options.events?.off('disconnect', onDisconnect);
    options.events?.off('reconnecting', onDisconnect);
    options.events?.off('connect', onConnect);
    rl.close();
  }
}
