import { ErrorCode } from '../protocol/errors';
import { Op } from '../protocol/opcodes';
import { Immediate, type ReadStore } from './command';
import { mget } from './mget';
import { LIMITS, thrown, wire } from '../testing/command-spec';

const data = new Map([['a', Buffer.from('1')], ['c', Buffer.from('3')]]);
const store: ReadStore = { get: (k) => data.get(k), getStored: (k) => data.get(k), has: (k) => data.has(k), scan: () => [], entry: () => undefined, count: () => 0, randomKey: () => undefined };

describe('MGET', () => {
  test.each(['mget', 'mgetBuffer'] as const)('%s: the request passes the router; a retryable read', (name) => {
    const msg = mget.methods[name].request(LIMITS, [['a', 'b']]);
    expect(msg).toEqual([Op.MGET, 0, ['a', 'b']]);
    expect(mget.toRead(wire(msg), LIMITS)).toEqual([Op.MGET, 0, ['a', 'b']]);
    expect(mget.methods[name].retryable).toBe(true);
  });

  test('no keys: the client answers [] itself', () => {
    const r = mget.methods.mget.request(LIMITS, [[]]);
    expect(r).toBeInstanceOf(Immediate);
    expect((r as Immediate<unknown>).value).toEqual([]);
  });

  test('a non-array or any bad key is refused by the client and the router', () => {
    for (const keys of ['a', null, ['a', ''], ['a', 3]] as unknown[]) {
      expect(thrown(() => mget.methods.mget.request(LIMITS, [keys as string[]])).code).toBe(ErrorCode.BAD_REQUEST);
      expect(thrown(() => mget.toRead([Op.MGET, 1, keys], LIMITS)).code).toBe(ErrorCode.BAD_REQUEST);
    }
    const err = thrown(() => mget.toRead([Op.MGET, 1, ['a', 'x'.repeat(20)]], LIMITS));
    expect(err.code).toBe(ErrorCode.TOO_LARGE);
    expect(err.details).toEqual({ size: 20, limit: 16 });
  });

  test('serve gives one value per key in the order asked, nil where missing', () => {
    expect(mget.serve(store, [Op.MGET, 1, ['c', 'b', 'a', 'c']], 1)).toEqual([Buffer.from('3'), null, Buffer.from('1'), Buffer.from('3')]);
    expect(mget.serve(store, [Op.MGET, 1, []], 1)).toEqual([]);
    expect(thrown(() => mget.serve(store, [Op.MGET, 1, 'a'], 1)).code).toBe(ErrorCode.BAD_REQUEST);
  });

  test('entries: [value, version, updated, expires], with the content type only when the key has one', () => {
    const entries = new Map([
      ['t', { value: Buffer.from('<p/>'), version: 3, updated: 10, expires: 0, contentType: 'text/html' }],
      ['n', { value: Buffer.from('1'), version: 4, updated: 11, expires: 0, contentType: null }],
    ]);
    const withEntries: ReadStore = { ...store, entry: (k) => entries.get(k) };
    const answer = mget.serve(withEntries, [Op.MGET, 1, ['t', 'n', 'x'], true], 1);
    expect(answer).toEqual([[Buffer.from('<p/>'), 3, 10, 0, 'text/html'], [Buffer.from('1'), 4, 11, 0], null]);
    expect(mget.methods.mgetEntries.decode(answer)).toEqual([
      { value: Buffer.from('<p/>'), version: 3, updated: 10, expires: 0, contentType: 'text/html' },
      { value: Buffer.from('1'), version: 4, updated: 11, expires: 0 },
      null,
    ]);
    expect('contentType' in mget.methods.getEntry.decode([[Buffer.from('1'), 4, 11, 0]])!).toBe(false);
    for (const bad of [[[Buffer.from('1'), 4, 11, 0, 5]], [[Buffer.from('1'), 4, 11, 0, 'a', 'b']]]) {
      expect(thrown(() => mget.methods.mgetEntries.decode(bad)).code).toBe(ErrorCode.PROTOCOL_ERROR);
    }
  });

  test('decode: a list of strings or bytes; PROTOCOL_ERROR on other shapes', () => {
    const answer = [new Uint8Array(Buffer.from('é')), null];
    expect(mget.methods.mget.decode(answer)).toEqual(['é', null]);
    const [buf, none] = mget.methods.mgetBuffer.decode(answer);
    expect(Buffer.isBuffer(buf) && buf.toString()).toBe('é');
    expect(none).toBeNull();
    for (const bad of [null, 'x', {}, ['x'], [1]]) {
      expect(thrown(() => mget.methods.mget.decode(bad)).code).toBe(ErrorCode.PROTOCOL_ERROR);
      expect(thrown(() => mget.methods.mgetBuffer.decode(bad)).code).toBe(ErrorCode.PROTOCOL_ERROR);
    }
  });
});
