import { displayWidth, layoutColumns } from './columns';

describe('layoutColumns', () => {
  it('runs items down the columns, as wide as the widest item plus two spaces', () => {
    const items = ['a', 'bb', 'ccc', 'd', 'e', 'f', 'g'];
    // cell = 5; (22 + 2) / 5 = 4 per line; 2 rows
    expect(layoutColumns(items, 22)).toEqual(['a    ccc  e    g', 'bb   d    f']);
  });
  it('uses every column that fits and never exceeds the width', () => {
    const items = Array.from({ length: 100 }, (_, i) => `key:${i}`);
    const lines = layoutColumns(items, 80);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(lines).toHaveLength(Math.ceil(100 / Math.floor(82 / 8)));
    // Nothing lost, nothing repeated, order kept down the columns.
    const back = lines.map((l) => l.split(/\s+/));
    const rows = lines.length;
    const flat: string[] = [];
    for (let c = 0; c < back[0].length; c++) for (let r = 0; r < rows; r++) if (back[r][c]) flat.push(back[r][c]);
    expect(flat).toEqual(items);
  });
  it('puts one item per line when an item is as wide as the terminal', () => {
    expect(layoutColumns(['x'.repeat(90), 'y'], 80)).toEqual(['x'.repeat(90), 'y']);
  });
  it('handles empty input and wide characters', () => {
    expect(layoutColumns([], 80)).toEqual([]);
    expect(displayWidth('日本')).toBe(4);
    expect(displayWidth('e\u0301')).toBe(1);
    expect(layoutColumns(['日本', 'ab'], 12)).toEqual(['日本  ab']);
  });
});
