import readline from 'node:readline';
import type { EventEmitter } from 'node:events';
import { commandRegistry } from './index';
import type { ConsoleSession } from './session';

export interface ReplOptions {
  session: ConsoleSession;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** HOST:PORT as shown in the prompt. */
  label: string;
  /** The client's connection events: the prompt says when it is reconnecting. */
  events?: EventEmitter;
}

export function promptFor(label: string, connected: boolean): string {
  return connected ? `kvndb ${label}> ` : `kvndb ${label} (disconnected)> `;
}

/** Tab completion: command names first, then command names again after `help`. */
export function complete(line: string): [string[], string] {
  const match = /^(\s*)(\S*)$/.exec(line);
  if (match) {
    const word = match[2].toLowerCase();
    const hits = commandRegistry.names().filter((name) => name.startsWith(word));
    return [hits.map((name) => name + ' '), match[2]];
  }
  const help = /^\s*(?:help|\?)\s+(\S*)$/i.exec(line);
  if (help) {
    const word = help[1].toLowerCase();
    return [commandRegistry.names().filter((name) => name.startsWith(word)), help[1]];
  }
  return [[], line];
}

/**
 * The interactive console. Lines are run one at a time in order (a pasted block does
 * not run concurrently). Ctrl+C stops a running listing or clears the line; on an empty
 * line it leaves, as do quit, exit and Ctrl+D.
 */
export async function runRepl(options: ReplOptions): Promise<void> {
  const { session, output, label } = options;
  let connected = true;
  let running = false;
  let atLineStart = false;
  const rl = readline.createInterface({
    input: options.input,
    output,
    terminal: true,
    completer: complete,
    historySize: 1000,
    removeHistoryDuplicates: true,
    prompt: promptFor(label, true),
  });

  // Connection changes are shown between the last output and a fresh prompt, keeping
  // whatever the user had typed.
  const notify = (message: string, nowConnected: boolean) => {
    if (connected === nowConnected) return;
    connected = nowConnected;
    rl.setPrompt(promptFor(label, connected));
    if (running) {
      output.write(message + '\n');
      return;
    }
    readline.clearLine(output, 0);
    readline.cursorTo(output, 0);
    output.write(message + '\n');
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
