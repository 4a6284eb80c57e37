import { toKvndbError } from '@kvndb/shared';
import { palette, type Palette } from './colors';
import type { ConsoleClient, ConsoleContext } from './context';
import { formatError, jsonError } from './format';
import { resolveCommand } from './index';
import { tokenize } from './tokenizer';

export interface SessionOptions {
  client: ConsoleClient;
  interactive: boolean;
  json: boolean;
  output: NodeJS.WritableStream;
  /** Where errors go in text mode when not interactive, so results and errors can be split. */
  errorOutput: NodeJS.WritableStream;
  /** The terminal's current width (it can be resized), or null when output is not a terminal. */
  columns?: () => number | null;
  /** Colour errors (only on a terminal without NO_COLOR; see colors.ts). */
  color?: boolean;
  /** How to ask yes or no before a destructive command (see ConsoleContext.confirm). */
  confirm?: (question: string) => Promise<boolean>;
}

/**
 * Runs console lines against a client and prints what they produce. Shared by the
 * interactive console, scripts from a pipe, `-c` and the one-shot commands, so a command
 * behaves the same everywhere.
 */
export class ConsoleSession {
  readonly ctx: ConsoleContext;
  private readonly output: NodeJS.WritableStream;
  private readonly errorOutput: NodeJS.WritableStream;
  private readonly colors: Palette;

  constructor(options: SessionOptions) {
    this.output = options.output;
    this.colors = palette(options.color === true && !options.json);
    const columns = options.columns;
    this.errorOutput = options.interactive || options.json ? options.output : options.errorOutput;
    const output = this.output;
    this.ctx = {
      client: options.client,
      interactive: options.interactive,
      json: options.json,
      get width() {
        return columns && !options.json ? columns() : null;
      },
      aborted: false,
      pager: null,
      quitting: false,
      print: (line: string) => {
        output.write(line + '\n');
      },
      flush: () => drain(output),
      confirm: options.confirm,
    };
  }

  /** Runs one line; resolves true when it succeeded (blank lines and comments count). */
  async execute(line: string): Promise<boolean> {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return true;
    try {
      const tokens = tokenize(trimmed);
      if (tokens.length === 0) return true;
      return await this.run(tokens[0].toString('utf8'), tokens.slice(1));
    } catch (err) {
      this.printError(err);
      return false;
    }
  }

  /** Runs a command with arguments that need no tokenizing (the one-shot commands). */
  async run(name: string, args: Buffer[]): Promise<boolean> {
    this.ctx.aborted = false;
    try {
      const command = resolveCommand(name, args.length);
      const reply = await command.run(this.ctx, args);
      if (this.ctx.json) {
        if (reply.json !== undefined) this.output.write(JSON.stringify(reply.json) + '\n');
      } else {
        for (const text of reply.text) this.output.write(text + '\n');
      }
      return true;
    } catch (err) {
      this.printError(err);
      return false;
    }
  }

  private printError(err: unknown): void {
    const error = toKvndbError(err);
    if (this.ctx.json) this.errorOutput.write(JSON.stringify(jsonError(error)) + '\n');
    else {
      const [first, ...hints] = formatError(error);
      this.errorOutput.write(this.colors.error(first) + '\n');
      for (const hint of hints) this.errorOutput.write(this.colors.warn(hint) + '\n');
    }
  }
}

/** Runs lines in order; true only if every one succeeded. Stops early at quit/exit. */
export async function runLines(session: ConsoleSession, lines: Iterable<string> | AsyncIterable<string>): Promise<boolean> {
  let ok = true;
  for await (const line of lines) {
    if (!(await session.execute(line))) ok = false;
    if (session.ctx.quitting) break;
  }
  return ok;
}

function drain(stream: NodeJS.WritableStream): Promise<void> {
  const writable = stream as NodeJS.WritableStream & { writableNeedDrain?: boolean };
  if (!writable.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
    stream.once('error', done);
  });
}
