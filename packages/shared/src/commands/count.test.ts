import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import type { ReadStore } from './command';
import { count } from './count';
import { ttl } from './ttl';
import { LIMITS, thrown, wire } from '../testing/command-spec';

describe('COUNT', () => {
  test('a replica answers its store counts in one read; the client decodes them', () => {
    const store = { count: () => 12, expiringCount: () => 3 } as unknown as ReadStore;
    const msg = count.toRead(wire(count.methods.count.request()));
    expect(msg[0]).toBe(Op.COUNT);
    const answer = count.serve(store);
    expect(answer).toEqual([12, 3]);
    expect(count.methods.count.decode(answer)).toEqual({ keys: 12, expiring: 3 });
    expect(thrown(() => count.methods.count.decode([1])).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});

describe('TTL', () => {
  const store = (expires: number | undefined) =>
    ({ entry: () => (expires === undefined ? undefined : { value: Buffer.alloc(0), version: 1, updated: 1, expires }) }) as unknown as ReadStore;

  test('ms left or the absolute expiry, judged at the read time; -1 without expiry, -2 missing', () => {
    const rel = ttl.toRead(wire(ttl.methods.ttl.request(LIMITS, ['k'])), LIMITS);
    const abs = ttl.toRead(wire(ttl.methods.expireTime.request(LIMITS, ['k'])), LIMITS);
    expect(ttl.serve(store(5000), rel, 1200)).toBe(3800);
    expect(ttl.serve(store(5000), abs, 1200)).toBe(5000);
    expect([ttl.serve(store(0), rel, 1), ttl.serve(store(0), abs, 1)]).toEqual([-1, -1]);
    expect([ttl.serve(store(undefined), rel, 1), ttl.serve(store(undefined), abs, 1)]).toEqual([-2, -2]);
    expect(thrown(() => ttl.toRead([Op.TTL, 1, 'k', 'yes'], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
  });
});
