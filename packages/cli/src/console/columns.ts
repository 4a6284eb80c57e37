/**
 * Lays out a listing in columns across the terminal, like `ls` (and the original
 * console's `getkeys COLUMNS`): items run down each column, columns are as wide as the
 * widest item plus two spaces, and as many fit as the width allows. One item wider than
 * the terminal gets a line of its own.
 */
export function layoutColumns(items: readonly string[], width: number): string[] {
  if (items.length === 0) return [];
  const widths = items.map(displayWidth);
  const cell = Math.max(...widths) + 2;
  const perLine = Math.max(1, Math.floor((width + 2) / cell));
  if (perLine === 1) return items.slice();
  const rows = Math.ceil(items.length / perLine);
  const lines: string[] = [];
  for (let row = 0; row < rows; row++) {
    let line = '';
    for (let col = 0; col < perLine; col++) {
      const i = col * rows + row;
      if (i >= items.length) break;
      const last = (col + 1) * rows + row >= items.length;
      line += last ? items[i] : items[i] + ' '.repeat(cell - widths[i]);
    }
    lines.push(line);
  }
  return lines;
}

/**
 * Columns a string takes on a terminal: East Asian wide and fullwidth characters and
 * emoji take two, combining marks and zero-width characters none. Shown keys are already
 * free of control characters (format.ts quotes them), so that is all that matters here.
 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ZERO_WIDTH.test(ch)) continue;
    width += isWide(code) ? 2 : 1;
  }
  return width;
}

const ZERO_WIDTH = /[\p{Mn}\p{Me}\u200B-\u200F\uFE00-\uFE0F]/u;

function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0x303e) ||
    (code >= 0x3041 && code <= 0x33ff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0xa000 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1f64f) ||
    (code >= 0x1f900 && code <= 0x1f9ff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}
