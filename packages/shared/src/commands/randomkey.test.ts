import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import type { ReadStore } from './command';
import { randomkey } from './randomkey';
import { thrown, wire } from '../testing/command-spec';

describe('RANDOMKEY', () => {
  test("randomKey() passes the router as is; the replica answers with its store's pick at the read's time, nil for none", () => {
    const msg = randomkey.methods.randomKey.request();
    expect(msg).toEqual([Op.RANDOMKEY, 0]);
    expect(randomkey.toRead(wire(msg))).toEqual([Op.RANDOMKEY, 7]);
    expect(randomkey.methods.randomKey.retryable).toBe(true);
    const asked: number[] = [];
    const store = (key: string | undefined) => ({ randomKey: (now: number) => (asked.push(now), key) }) as unknown as ReadStore;
    expect(randomkey.serve(store('k1'), [Op.RANDOMKEY, 1], 42)).toBe('k1');
    expect(randomkey.serve(store(undefined), [Op.RANDOMKEY, 1], 43)).toBeNull();
    expect(asked).toEqual([42, 43]);
  });

  test('decode: a key or null', () => {
    expect(randomkey.methods.randomKey.decode('k')).toBe('k');
    expect(randomkey.methods.randomKey.decode(null)).toBeNull();
    expect(thrown(() => randomkey.methods.randomKey.decode(5)).code).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});
