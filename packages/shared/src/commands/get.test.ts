import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import type { ReadStore } from './command';
import type { Latin1Bytes } from '../codec/latin1-bytes';
import { get } from './get';
import { LIMITS, thrown, wire } from '../testing/command-spec';

function store(entries: Record<string, string>, stored?: (key: string) => Latin1Bytes | undefined): ReadStore {
  const m = new Map(Object.entries(entries).map(([k, v]) => [k, Buffer.from(v)]));
  return {
    get: (k) => m.get(k),
    getStored: stored ?? ((k) => m.get(k)),
    has: (k) => m.has(k),
    scan: () => [],
    entry: () => undefined,
    count: () => 0,
    randomKey: () => undefined,
  };
}

describe('GET', () => {
  test.each(['get', 'getBuffer'] as const)('%s: the request passes the router and is the replica-bound message', (name) => {
    const msg = get.methods[name].request(LIMITS, ['é-key']);
    expect(msg).toEqual([Op.GET, 0, 'é-key']);
    expect(get.toRead(wire(msg), LIMITS)).toEqual([Op.GET, 7, 'é-key']);
    expect(get.methods[name].retryable).toBe(true);
  });

  test('empty, non-string and over-limit keys are refused by the client and the router alike', () => {
    for (const key of ['', 42, null, ['k']] as unknown[]) {
      expect(thrown(() => get.methods.get.request(LIMITS, [key as string])).code).toBe(ErrorCode.BAD_REQUEST);
      expect(thrown(() => get.toRead([Op.GET, 1, key], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    }
    expect(thrown(() => get.toRead([Op.GET, 1], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    expect(() => get.toRead([Op.GET, 1, 'a'.repeat(16)], LIMITS)).not.toThrow();
    for (const err of [thrown(() => get.methods.get.request(LIMITS, ['é'.repeat(9)])), thrown(() => get.toRead([Op.GET, 1, 'é'.repeat(9)], LIMITS))]) {
      expect(err.code).toBe(ErrorCode.TOO_LARGE);
      expect(err.details).toEqual({ size: 18, limit: 16 });
    }
  });

  test('serve gives the value or nil, preferring the store\'s stored form', () => {
    const s = store({ a: 'one' });
    expect(get.serve(s, [Op.GET, 1, 'a'], 1)).toEqual(Buffer.from('one'));
    expect(get.serve(s, [Op.GET, 1, 'missing'], 1)).toBeNull();
    const latin1 = store({ a: 'one' }, (k) => (k === 'a' ? ('stored-one' as Latin1Bytes) : undefined));
    expect(get.serve(latin1, [Op.GET, 1, 'a'], 1)).toBe('stored-one');
    expect(get.serve(latin1, [Op.GET, 1, 'b'], 1)).toBeNull();
    expect(thrown(() => get.serve(s, [Op.GET, 1, 5], 1)).code).toBe(ErrorCode.BAD_REQUEST);
  });

  test('decode: strings or bytes, null for nil, PROTOCOL_ERROR on other shapes', () => {
    const bytes = new Uint8Array(Buffer.from('héllo'));
    expect(get.methods.get.decode(bytes)).toBe('héllo');
    expect(get.methods.get.decode(null)).toBeNull();
    const buf = get.methods.getBuffer.decode(bytes);
    expect(Buffer.isBuffer(buf) && buf.toString()).toBe('héllo');
    expect(get.methods.getBuffer.decode(null)).toBeNull();
    for (const bad of ['text', 1, true, [], {}]) {
      expect(thrown(() => get.methods.get.decode(bad)).code).toBe(ErrorCode.PROTOCOL_ERROR);
      expect(thrown(() => get.methods.getBuffer.decode(bad)).code).toBe(ErrorCode.PROTOCOL_ERROR);
    }
  });
});
