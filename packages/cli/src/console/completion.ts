import type { ConsoleClient } from './context';
import { quote } from './format';
import { commandRegistry } from './index';
import { tokenize } from './tokenizer';

/** At most this many keys are fetched (one keys() page) for one Tab. */
export const KEY_COMPLETION_LIMIT = 100;
/** A Tab never hangs the line editor: after this, no key completions. */
export const KEY_COMPLETION_TIMEOUT_MS = 2000;

export type Completion = [string[], string];

/** Tab completion without the network: command names, and command names after `help`. */
export function complete(line: string): Completion {
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
 * readline's completer: command names as `complete` does, and key names (by prefix, one
 * page from the server) where a command takes keys (get, del, has, ...). Errors and
 * slow answers complete nothing rather than disturbing the line.
 */
export function createCompleter(client: ConsoleClient): (line: string, callback: (err: null, result: Completion) => void) => void {
  return (line, callback) => {
    completeWithKeys(client, line).then(
      (result) => callback(null, result),
      () => callback(null, [[], line]),
    );
  };
}

export async function completeWithKeys(client: ConsoleClient, line: string): Promise<Completion> {
  const target = keyCompletionTarget(line);
  if (!target) return complete(line);
  const keys = await withTimeout(client.keys(target.prefix, { limit: KEY_COMPLETION_LIMIT }), KEY_COMPLETION_TIMEOUT_MS);
  if (!keys) return [[], target.word];
  return [keys.keys.map((key) => argumentForm(key, target.word) + ' '), target.word];
}

/**
 * Where the cursor is in a key argument, the word as typed and the key prefix it means
 * (quotes and escapes resolved); null when it is not a key position.
 */
export function keyCompletionTarget(line: string): { word: string; prefix: string } | null {
  const start = lastWordStart(line);
  let head: Buffer[];
  try {
    head = tokenize(line.slice(0, start));
  } catch {
    return null;
  }
  if (head.length === 0) return null;
  const command = commandRegistry.find(head[0].toString('utf8'));
  // Option words (`keys --all`) are not arguments: the key position comes after them.
  const flags = command?.flags ?? [];
  const argIndex = head.slice(1).filter((t) => !flags.includes(t.toString('utf8'))).length;
  if (!command?.completesKeys || (command.completesKeys === 'first' && argIndex !== 0)) return null;
  const word = line.slice(start);
  const prefix = decodePartial(word);
  return prefix === null ? null : { word, prefix };
}

/** How a completed key is typed: bare when it can be, else in the quotes the user opened. */
export function argumentForm(key: string, typed: string): string {
  if (!typed.startsWith('"') && !typed.startsWith("'") && /^[^\s'"\\]+$/.test(key)) return key;
  if (typed.startsWith("'") && !key.includes("'") && !/[\p{Cc}]/u.test(key)) return `'${key}'`;
  return quote(key);
}

/** Index where the word under the cursor starts (quote and backslash aware). */
function lastWordStart(line: string): number {
  let start = 0;
  let quoteChar: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoteChar) {
      if (ch === '\\' && quoteChar === '"') i++;
      else if (ch === quoteChar) quoteChar = null;
    } else if (ch === '\\') i++;
    else if (ch === '"' || ch === "'") quoteChar = ch;
    else if (ch === ' ' || ch === '\t') start = i + 1;
  }
  return start;
}

/** The text a partly typed argument stands for, closing an open quote; null if it cannot be read. */
function decodePartial(word: string): string | null {
  for (const candidate of [word, word + '"', word + "'", word.replace(/\\$/, '')]) {
    try {
      const tokens = tokenize(candidate);
      if (tokens.length <= 1) return tokens.length ? tokens[0].toString('utf8') : '';
    } catch {
      // try the next way of closing it
    }
  }
  return null;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([promise.catch(() => null), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
