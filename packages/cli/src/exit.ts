import { KvndbError } from '@kvndb/shared';

/**
 * One line for any error, with no stack trace: operators read it, and scripts grep it.
 * The cause of a system error (EADDRINUSE, ENOENT, ...) is usually the useful part.
 */
export function describeError(err: unknown): string {
  if (err instanceof KvndbError) return `${err.code}: ${oneLine(err.message)}`;
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const text = oneLine(err.message);
    return code && !text.includes(code) ? `${code}: ${text}` : text;
  }
  return oneLine(String(err));
}

export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Print `kvndb: <reason>` on stderr. */
export function printFatal(reason: string): void {
  process.stderr.write(`kvndb: ${oneLine(reason)}\n`);
}

/**
 * Exit once stdout and stderr have drained: process.exit() right after a write to a pipe
 * can cut off the end of the output.
 */
export async function exitAfterFlush(code: number): Promise<never> {
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit(code);
}

function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    // A reader that never reads (a stuck pipe) must not keep us alive forever.
    const timer = setTimeout(done, 2000);
    stream.once('drain', done);
    stream.once('error', done);
  });
}
