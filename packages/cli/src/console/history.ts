import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Lines kept, in the file and in readline's memory. */
export const HISTORY_SIZE = 1000;

export const HISTORY_FILE_NAME = '.kvndb_history';

/**
 * Where the console keeps its history: KVNDB_HISTORY when set (an empty value turns
 * history off, for shared accounts and tests), else ~/.kvndb_history. Null means off.
 */
export function historyPath(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string | null {
  const override = env.KVNDB_HISTORY;
  if (override !== undefined) return override === '' ? null : path.resolve(expandHome(override, home));
  return home ? path.join(home, HISTORY_FILE_NAME) : null;
}

export function expandHome(file: string, home: string = os.homedir()): string {
  return file === '~' ? home : file.startsWith('~/') ? path.join(home, file.slice(2)) : file;
}

/**
 * The history file: one line per command, oldest first, appended as each line is entered
 * so two consoles open at once both keep their lines and a crash loses nothing. The file
 * is compacted back to `limit` lines when it has grown to twice that, which keeps every
 * append O(1) rather than rewriting the file per command.
 *
 * The file holds whatever was typed, values included, so it is created owner-only (0600).
 * A line typed with a leading space is not written, as in bash's `ignorespace`, for the
 * occasional secret.
 */
export class HistoryFile {
  private lineCount = 0;
  private failed = false;

  constructor(
    readonly file: string,
    private readonly limit = HISTORY_SIZE,
    /** Told once when the file cannot be written; history then stays in memory. */
    private readonly onError: (message: string) => void = () => {},
  ) {}

  /**
   * The saved lines, newest first as readline's `history` option takes them, without
   * repeats (the newest copy is kept). A missing file is an empty history; an unreadable
   * one is reported and treated as empty.
   */
  load(): string[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.fail(err);
      return [];
    }
    const lines = text.split('\n').filter((line) => line.trim() !== '');
    this.lineCount = lines.length;
    const seen = new Set<string>();
    const newestFirst: string[] = [];
    for (let i = lines.length - 1; i >= 0 && newestFirst.length < this.limit; i--) {
      if (seen.has(lines[i])) continue;
      seen.add(lines[i]);
      newestFirst.push(lines[i]);
    }
    if (this.lineCount > this.limit) this.rewrite(newestFirst);
    return newestFirst;
  }

  /** Records an entered line; `current` is readline's history (newest first) for compaction. */
  add(line: string, current: readonly string[] = []): void {
    if (this.failed || line.trim() === '' || line.startsWith(' ') || line.includes('\n')) return;
    try {
      fs.appendFileSync(this.file, line + '\n', { mode: 0o600 });
      this.lineCount++;
    } catch (err) {
      this.fail(err);
      return;
    }
    if (this.lineCount >= this.limit * 2) this.rewrite(current.length ? current : [line]);
  }

  private rewrite(newestFirst: readonly string[]): void {
    const lines = newestFirst.filter((l) => !l.startsWith(' ') && l.trim() !== '').slice(0, this.limit).reverse();
    // Write beside and rename, so a crash mid-write never leaves a truncated history.
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, lines.map((l) => l + '\n').join(''), { mode: 0o600 });
      fs.renameSync(tmp, this.file);
      this.lineCount = lines.length;
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.onError(`(history not saved: ${(err as Error).message})`);
  }
}
