import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HistoryFile, historyPath } from './history';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvndb-history-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('historyPath', () => {
  it('defaults to ~/.kvndb_history', () => {
    expect(historyPath({}, '/home/ann')).toBe('/home/ann/.kvndb_history');
  });
  it('follows KVNDB_HISTORY, with ~ expanded and relative paths resolved', () => {
    expect(historyPath({ KVNDB_HISTORY: '/tmp/h' }, '/home/ann')).toBe('/tmp/h');
    expect(historyPath({ KVNDB_HISTORY: '~/h' }, '/home/ann')).toBe('/home/ann/h');
    expect(historyPath({ KVNDB_HISTORY: 'rel/h' }, '/home/ann')).toBe(path.resolve('rel/h'));
  });
  it('is off when KVNDB_HISTORY is empty', () => {
    expect(historyPath({ KVNDB_HISTORY: '' }, '/home/ann')).toBeNull();
  });
});

describe('HistoryFile', () => {
  it('appends lines as they are entered, owner-only, and loads them newest first', () => {
    const file = path.join(dir, 'h');
    const h = new HistoryFile(file);
    expect(h.load()).toEqual([]);
    h.add('set a 1');
    h.add('get a');
    expect(fs.readFileSync(file, 'utf8')).toBe('set a 1\nget a\n');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(new HistoryFile(file).load()).toEqual(['get a', 'set a 1']);
  });

  it('skips blank lines and lines typed with a leading space', () => {
    const file = path.join(dir, 'h');
    const h = new HistoryFile(file);
    h.add('   ');
    h.add(' set password hunter2');
    h.add('ping');
    expect(fs.readFileSync(file, 'utf8')).toBe('ping\n');
  });

  it('drops repeats on load, keeping the newest copy', () => {
    const file = path.join(dir, 'h');
    fs.writeFileSync(file, 'a\nb\na\nc\nb\n');
    expect(new HistoryFile(file).load()).toEqual(['b', 'c', 'a']);
  });

  it('stays bounded: compacts to the limit when the file has doubled', () => {
    const file = path.join(dir, 'h');
    const h = new HistoryFile(file, 5);
    h.load();
    const memory: string[] = [];
    for (let i = 0; i < 9; i++) {
      memory.unshift(`cmd ${i}`);
      h.add(`cmd ${i}`, memory.slice(0, 5));
    }
    expect(fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(9);
    memory.unshift('cmd 9');
    h.add('cmd 9', memory.slice(0, 5));
    expect(fs.readFileSync(file, 'utf8')).toBe('cmd 5\ncmd 6\ncmd 7\ncmd 8\ncmd 9\n');
    expect(fs.readdirSync(dir)).toEqual(['h']);
  });

  it('trims an oversized file when loading', () => {
    const file = path.join(dir, 'h');
    fs.writeFileSync(file, Array.from({ length: 30 }, (_, i) => `line ${i}\n`).join(''));
    expect(new HistoryFile(file, 10).load()).toHaveLength(10);
    const kept = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(kept).toEqual(Array.from({ length: 10 }, (_, i) => `line ${i + 20}`));
  });

  it('reports an unwritable file once and keeps going', () => {
    const file = path.join(dir, 'missing-dir', 'h');
    const errors: string[] = [];
    const h = new HistoryFile(file, 1000, (m) => errors.push(m));
    expect(h.load()).toEqual([]);
    h.add('a');
    h.add('b');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^\(history not saved: .*ENOENT/);
  });

  it('reports an unreadable file and starts empty', () => {
    const errors: string[] = [];
    expect(new HistoryFile(dir, 1000, (m) => errors.push(m)).load()).toEqual([]);
    expect(errors[0]).toMatch(/EISDIR/);
  });
});
