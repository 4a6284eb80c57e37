import { ErrorCode, KvndbError, Op } from '@kvndb/shared';
import type { KvndbError as Err, Latin1Bytes } from '@kvndb/shared';
import { LocalReads, type LocalStore } from './local-reads';

class FakeStore implements LocalStore {
  seq = 5;
  values = new Map<string, unknown>([
    ['a', Buffer.from('1')],
    ['latin', 'bytes\u00ff'],
  ]);
  position() {
    return { seq: this.seq };
  }
  get(key: string) {
    return this.values.get(key) as Buffer | undefined;
  }
  getStored(key: string): Buffer | Latin1Bytes | undefined {
    if (key === 'boom') throw new Error('disk on fire');
    if (key === '') throw KvndbError.badRequest('empty key');
    return this.values.get(key) as Buffer | Latin1Bytes | undefined;
  }
  has(key: string) {
    return this.values.has(key);
  }
  entry() {
    return undefined;
  }
  scan() {
    return [];
  }
  count() {
    return this.values.size;
  }
  randomKey() {
    return undefined;
  }
}

function setup() {
  const store = new FakeStore();
  let lastSeq = 5;
  const local = new LocalReads('standalone#', store, () => lastSeq, () => 1000);
  const answers: Array<{ err: Err | null; value?: unknown }> = [];
  const sink = { reply: (_tag: number, err: Err | null, value?: unknown) => answers.push({ err, value }) };
  return { store, local, answers, sink, setLastSeq: (s: number) => (lastSeq = s) };
}

describe('LocalReads', () => {
  test('answers GET and MGET from the store only while the embedded link is in sync and every write is applied', () => {
    const { local, answers, sink, setLastSeq } = setup();
    const link = { address: 'standalone#1', ackedSeq: 5 };
    expect(local.isLocal(link)).toBe(true);
    expect(local.isLocal({ address: '127.0.0.1:5000' })).toBe(false);
    expect(local.tryRead([Op.GET, 0, 'a'], sink, 1)).toBe(false); // not in sync yet
    local.linkState(link, true);
    expect(local.tryRead([Op.GET, 0, 'a'], sink, 1)).toBe(true);
    expect(local.tryRead([Op.GET, 0, 'latin'], sink, 1)).toBe(true);
    expect(local.tryRead([Op.GET, 0, 'none'], sink, 1)).toBe(true);
    expect(local.tryRead([Op.MGET, 0, ['a', 'none', 'latin']], sink, 1)).toBe(true);
    expect(answers).toEqual([
      { err: null, value: Buffer.from('1') },
      { err: null, value: Buffer.from('bytes\u00ff', 'latin1') },
      { err: null, value: null },
      { err: null, value: [Buffer.from('1'), null, Buffer.from('bytes\u00ff', 'latin1')] },
    ]);
    // A write sequenced and not yet applied here: the read goes down the link, behind it.
    setLastSeq(6);
    expect(local.tryRead([Op.GET, 0, 'a'], sink, 1)).toBe(false);
    setLastSeq(5);
    // Other reads, and MGET with versions, always take the replica's path.
    expect(local.tryRead([Op.STRLEN, 0, 'a'], sink, 1)).toBe(false);
    expect(local.tryRead([Op.MGET, 0, ['a'], true], sink, 1)).toBe(false);
    // Out of sync (or gone): no local reads; another link leaving changes nothing.
    local.linkState({ address: 'standalone#2', ackedSeq: 5 }, false);
    expect(local.tryRead([Op.GET, 0, 'a'], sink, 1)).toBe(true);
    local.linkState(link, false);
    expect(local.tryRead([Op.GET, 0, 'a'], sink, 1)).toBe(false);
  });

  test('a failing read is answered as the replica would answer it', () => {
    const { local, answers, sink } = setup();
    local.linkState({ address: 'standalone#1', ackedSeq: 5 }, true);
    local.tryRead([Op.GET, 0, 'boom'], sink, 1);
    local.tryRead([Op.GET, 0, ''], sink, 1);
    expect(answers.map((a) => a.err?.code)).toEqual([ErrorCode.REPLICA_ERROR, ErrorCode.BAD_REQUEST]);
  });
});
