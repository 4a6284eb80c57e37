/**
 * Key order is Unicode code point order, which is the same as the byte order of the
 * keys' UTF-8 encoding (what SQLite's BINARY collation uses). JavaScript's `<` compares
 * UTF-16 code units, which disagrees for characters above U+FFFF; paging with a cursor
 * may move between replicas, so every backend must agree on this one order.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // Surrogates (D800-DFFF) encode code points above FFFF: move them above E000-FFFF.
      x = x < 0xe000 ? x + 0x2000 : x - 0x800;
      y = y < 0xe000 ? y + 0x2000 : y - 0x800;
    }
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
