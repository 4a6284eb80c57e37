/**
 * The console's few colours: errors red, hints and connection notices yellow, the prompt
 * bold. Only on a terminal and never when NO_COLOR is set (https://no-color.org), so
 * pipes, files and scripts always get plain text.
 */
export interface Palette {
  enabled: boolean;
  error(text: string): string;
  warn(text: string): string;
  prompt(text: string): string;
}

export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

const sgr = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;
const plain = (text: string) => text;

export const COLORS: Palette = { enabled: true, error: sgr(31, 39), warn: sgr(33, 39), prompt: sgr(1, 22) };
export const NO_COLORS: Palette = { enabled: false, error: plain, warn: plain, prompt: plain };

export function palette(enabled: boolean): Palette {
  return enabled ? COLORS : NO_COLORS;
}
