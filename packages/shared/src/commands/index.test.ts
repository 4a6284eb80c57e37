import { DEFAULT_LIMITS } from '../protocol/limits';
import { Op } from '../protocol/opcodes';
import { COMMANDS, COMMANDS_BY_NAME, COMMANDS_BY_OP, Immediate, type ClientMethod } from './index';
import { ping } from './ping';
import { publish } from './publish';

/** Arguments each client method is called with to see its message. */
const ARGS: Record<string, unknown[]> = {
  ping: [],
  status: [],
  get: ['k'],
  getBuffer: ['k'],
  has: ['k'],
  mget: [['a', 'b']],
  mgetBuffer: [['a']],
  keys: ['p', { limit: 5, cursor: 'p1' }],
  set: ['k', 'v', { nx: true }],
  setGet: ['k', 'v'],
  del: ['k'],
  mset: [{ a: '1' }],
  batch: [[{ op: 'del', key: 'k' }]],
  mgetEntries: [['a', 'b']],
  getEntry: ['k'],
  latest: [['a', 'b']],
  ttl: ['k'],
  put: ['k', 'v', { ifVersion: 3, ttlMs: 1000 }],
  incr: ['k', 2],
  decr: ['k'],
  incrBig: ['k', 10n ** 18n],
  expire: ['k', 1000, { gt: true }],
  expireAt: ['k', 2_000_000_000_000],
  persist: ['k'],
  txn: [{ if: [{ key: 'k', version: 0 }], then: [{ op: 'set', key: 'k', value: 'v' }] }],
  incrByFloat: ['k', 0.5],
  append: ['k', 'v'],
  setRange: ['k', 3, 'v'],
  strlen: ['k'],
  getRange: ['k', 0, -1],
  getRangeBuffer: ['k', 0, -1],
  getDel: ['k'],
  getDelBuffer: ['k'],
  rename: ['a', 'b'],
  renameNx: ['a', 'b'],
  copy: ['a', 'b', { replace: true }],
  flush: [],
  randomKey: [],
  time: [],
  expireTime: ['k'],
  getEx: ['k', { ttlMs: 1000 }],
  getExBuffer: ['k', { persist: true }],
  count: [],
  push: ['q', 'a', 'b'],
  pushFront: ['q', 'a'],
  pop: ['q', { waitMs: 100 }],
  popBuffer: ['q'],
  popMany: ['q', 2],
  popManyBuffers: ['q', 2, { end: 'tail' }],
  llen: ['q'],
  lrange: ['q', 0, -1],
  lrangeBuffers: ['q'],
  lindex: ['q', 1],
  peek: ['q'],
  peekBuffer: ['q'],
  lrem: ['q', 0, 'v'],
  ltrim: ['q', 0, 9],
  lset: ['q', 0, 'v'],
  lmove: ['a', 'b'],
  type: ['k'],
  wait: [['a', 'b'], { waitMs: 100 }],
  waitBuffer: [['a'], { waitMs: 0 }],
  publish: ['ch', 'hello'],
  pubsubChannels: ['news.*'],
  pubsubNumsub: [['a', 'b']],
};

const methods = COMMANDS.flatMap((c) => Object.entries(c.methods as Record<string, ClientMethod<unknown[], unknown>>).map(([name, m]) => ({ c, name, m })));

describe('the command registry', () => {
  test('every command is registered once by opcode and once by name', () => {
    expect(new Set(COMMANDS.map((c) => c.op)).size).toBe(COMMANDS.length);
    expect(new Set(COMMANDS.map((c) => c.name)).size).toBe(COMMANDS.length);
    for (const c of COMMANDS) {
      expect(COMMANDS_BY_OP[c.op]).toBe(c);
      expect(COMMANDS_BY_NAME.get(c.name)).toBe(c);
      expect(c.name).toBe(c.name.toLowerCase());
      expect(Object.values(Op)).toContain(c.op);
    }
    expect(COMMANDS_BY_OP.filter(Boolean)).toHaveLength(COMMANDS.length);
    expect(COMMANDS_BY_NAME.size).toBe(COMMANDS.length);
  });

  test('every client method name is unique across commands', () => {
    const names = methods.map((x) => x.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.sort()).toEqual(Object.keys(ARGS).sort());
  });

  test.each(methods.map((x) => [`${x.c.name}.${x.name}`, x] as const))('%s: its message carries the opcode and fits the arity', (_, { c, name, m }) => {
    const msg = m.request(DEFAULT_LIMITS, ARGS[name]);
    expect(msg).not.toBeInstanceOf(Immediate);
    const arr = msg as unknown[];
    expect(arr[0]).toBe(c.op);
    expect(arr.length).toBeGreaterThanOrEqual(c.arity[0]);
    expect(arr.length).toBeLessThanOrEqual(c.arity[1]);
  });

  test('each route has its parts; reads and router commands are retried, writes are not, nor PUBLISH (it may have been delivered)', () => {
    for (const { c, m } of methods) expect([c.name, m.retryable]).toEqual([c.name, c.route !== 'write' && c !== publish]);
    for (const c of COMMANDS) {
      const parts = { toRead: 'toRead' in c, serve: 'serve' in c, toWrite: 'toWrite' in c, answer: 'answer' in c };
      const want = { read: [true, true, false, false], write: [false, false, true, true], router: [false, c === ping, false, false] }[c.route];
      expect([c.name, Object.values(parts)]).toEqual([c.name, want]);
      expect(c.arity[0]).toBeGreaterThanOrEqual(2);
      expect(c.arity[0]).toBeLessThanOrEqual(c.arity[1]);
    }
  });
});
