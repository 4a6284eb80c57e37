/**
 * Transactions at both doors against a real router with two memory replicas: RESP's
 * MULTI/EXEC/DISCARD/WATCH/UNWATCH byte for byte in RESP2 and RESP3 (the expected bytes are
 * what redis-server 7.0 answers, but for the commands kvndb refuses inside MULTI), MSETNX,
 * and the native txn() with concurrent compare-and-set loops.
 */
import net from 'node:net';
import { KvndbError, type KvndbClient } from '@kvndb/client';
import { closeClients, openClient, startReplica, startRouterWithResp, stopAll, waitInSync, type RouterHandle } from './helpers/cluster';

jest.setTimeout(60000);

let router: RouterHandle & { respPort: number };
const sockets: net.Socket[] = [];

beforeAll(async () => {
  router = await startRouterWithResp();
  startReplica('memory', router.port, { name: 'm1' });
  startReplica('memory', router.port, { name: 'm2' });
  const db = await openClient(router.port);
  await waitInSync(db, 2);
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await closeClients();
  await stopAll();
});

/** A command in RESP's multibulk form. */
function cmd(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** A raw RESP connection: send bytes, then wait for exactly the expected reply bytes. */
class Conn {
  private got = '';
  constructor(readonly sock: net.Socket) {
    sock.on('data', (d) => (this.got += d.toString('latin1')));
  }
  static async open(): Promise<Conn> {
    const sock = net.connect(router.respPort, '127.0.0.1');
    sockets.push(sock);
    await new Promise((resolve) => sock.once('connect', resolve));
    return new Conn(sock);
  }
  /** Send `commands`; resolve with the replies once `bytes` of them arrived (or 5 s passed). */
  async send(commands: string, bytes: number): Promise<string> {
    this.sock.write(commands);
    for (let i = 0; i < 500 && this.got.length < bytes; i++) await new Promise((r) => setTimeout(r, 10));
    // Anything more would be a reply too many.
    await new Promise((r) => setTimeout(r, 30));
    const out = this.got;
    this.got = '';
    return out;
  }
  async expect(commands: string, replies: string): Promise<void> {
    expect(await this.send(commands, replies.length)).toBe(replies);
  }
  async hello3(): Promise<void> {
    const r = await this.send(cmd('HELLO', '3'), 10);
    expect(r.startsWith('%')).toBe(true);
  }
}

describe('MULTI/EXEC at the RESP door', () => {
  const queued = (n: number) => '+QUEUED\r\n'.repeat(n);

  test('queued commands answer +QUEUED; EXEC answers each in its Redis type, an op error in its place (RESP2)', async () => {
    const c = await Conn.open();
    await c.expect(cmd('SET', 't2:s', 'abc'), '+OK\r\n');
    await c.expect(
      cmd('MULTI') +
        cmd('SET', 't2:a', '1') +
        cmd('INCR', 't2:a') +
        cmd('INCRBY', 't2:a', '10') +
        cmd('DECR', 't2:a') +
        cmd('DECRBY', 't2:a', '5') +
        cmd('GET', 't2:a') +
        cmd('INCR', 't2:s') +
        cmd('MGET', 't2:a', 't2:s', 't2:nope') +
        cmd('EXISTS', 't2:a', 't2:s', 't2:nope') +
        cmd('DEL', 't2:s', 't2:nope') +
        cmd('SET', 't2:a', '5', 'GET') +
        cmd('SET', 't2:a', '6', 'NX') +
        cmd('SET', 't2:b', '7', 'XX') +
        cmd('MSET', 't2:x', '1', 't2:y', '2') +
        cmd('UNWATCH') +
        cmd('EXEC'),
      '+OK\r\n' +
        queued(15) +
        '*15\r\n+OK\r\n:2\r\n:12\r\n:11\r\n:6\r\n$1\r\n6\r\n' +
        '-ERR value is not an integer or out of range\r\n' +
        '*3\r\n$1\r\n6\r\n$3\r\nabc\r\n$-1\r\n:2\r\n:1\r\n$1\r\n6\r\n$-1\r\n$-1\r\n+OK\r\n+OK\r\n',
    );
    await c.expect(cmd('MGET', 't2:a', 't2:s', 't2:x', 't2:y', 't2:b'), '*5\r\n$1\r\n5\r\n$-1\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n');
    // GET and SET inside MULTI are queued too (not the session's fast path).
    await c.expect(cmd('MULTI') + 'GET t2:a\r\nSET t2:a 9\r\nGET t2:a\r\n' + cmd('EXEC'), '+OK\r\n' + queued(3) + '*3\r\n$1\r\n5\r\n+OK\r\n$1\r\n9\r\n');
    // An empty transaction is an empty array.
    await c.expect(cmd('MULTI') + cmd('EXEC'), '+OK\r\n*0\r\n');
  });

  test('RESP3: nil is _ inside EXEC, and an aborted EXEC is _', async () => {
    const c = await Conn.open();
    await c.hello3();
    await c.expect(
      cmd('MULTI') + cmd('SET', 't3:a', '1') + cmd('SET', 't3:a', '2', 'NX') + cmd('GET', 't3:none') + cmd('MGET', 't3:a', 't3:none') + cmd('EXEC'),
      '+OK\r\n' + queued(4) + '*4\r\n+OK\r\n_\r\n_\r\n*2\r\n$1\r\n1\r\n_\r\n',
    );
    const other = await Conn.open();
    await c.expect(cmd('WATCH', 't3:a'), '+OK\r\n');
    await other.expect(cmd('SET', 't3:a', 'theirs'), '+OK\r\n');
    await c.expect(cmd('MULTI') + cmd('SET', 't3:a', 'mine') + cmd('EXEC'), '+OK\r\n+QUEUED\r\n_\r\n');
    await c.expect(cmd('GET', 't3:a'), '$6\r\ntheirs\r\n');
  });

  test("Redis's errors: nesting, EXEC/DISCARD without MULTI, WATCH inside MULTI (none of these aborts)", async () => {
    const c = await Conn.open();
    await c.expect(cmd('EXEC'), '-ERR EXEC without MULTI\r\n');
    await c.expect(cmd('DISCARD'), '-ERR DISCARD without MULTI\r\n');
    await c.expect(
      cmd('MULTI') + cmd('MULTI') + cmd('WATCH', 'te:a') + cmd('SET', 'te:a', '1') + cmd('EXEC'),
      '+OK\r\n-ERR MULTI calls can not be nested\r\n-ERR WATCH inside MULTI is not allowed\r\n+QUEUED\r\n*1\r\n+OK\r\n',
    );
    await c.expect(cmd('MULTI') + cmd('SET', 'te:a', '2') + cmd('DISCARD') + cmd('GET', 'te:a') + cmd('EXEC'), '+OK\r\n+QUEUED\r\n+OK\r\n$1\r\n1\r\n-ERR EXEC without MULTI\r\n');
  });

  test('a refused command while queueing (unknown, arity, syntax, no transactional form) makes EXEC answer EXECABORT and apply nothing', async () => {
    const c = await Conn.open();
    const abort = '-EXECABORT Transaction discarded because of previous errors.\r\n';
    const cases: [string, string][] = [
      [cmd('NOSUCH', 'x'), "-ERR unknown command 'NOSUCH', with args beginning with: 'x'\r\n"],
      [cmd('GET'), "-ERR wrong number of arguments for 'get' command\r\n"],
      [cmd('SET', 'ta:k', 'v', 'BOGUS'), '-ERR syntax error\r\n'],
      [cmd('SET', 'ta:k', 'v', 'NX', 'XX'), '-ERR syntax error\r\n'],
      [cmd('MSET', 'ta:k', 'v', 'ta:j'), "-ERR wrong number of arguments for 'mset' command\r\n"],
      [cmd('INCRBY', 'ta:k', 'ten'), '-ERR value is not an integer or out of range\r\n'],
      [cmd('KEYS', '*'), "-ERR Command not allowed inside a transaction ('keys' has no transactional form in kvndb)\r\n"],
      [cmd('SCAN', '0'), "-ERR Command not allowed inside a transaction ('scan' has no transactional form in kvndb)\r\n"],
      [cmd('INFO'), "-ERR Command not allowed inside a transaction ('info' has no transactional form in kvndb)\r\n"],
      [cmd('MSETNX', 'ta:k', 'v'), "-ERR Command not allowed inside a transaction ('msetnx' has no transactional form in kvndb)\r\n"],
    ];
    for (const [bad, error] of cases) {
      await c.expect(cmd('MULTI') + cmd('SET', 'ta:k', 'v') + bad + cmd('SET', 'ta:j', 'v') + cmd('EXEC'), '+OK\r\n+QUEUED\r\n' + error + '+QUEUED\r\n' + abort);
      // Out of MULTI again, nothing applied.
      await c.expect(cmd('EXISTS', 'ta:k', 'ta:j') + cmd('EXEC'), ':0\r\n-ERR EXEC without MULTI\r\n');
    }
  });

  test('WATCH: a change by anyone after WATCH aborts EXEC (*-1, nothing applied); unchanged, absent-and-still-absent and UNWATCH/DISCARD-cleared keys do not', async () => {
    const a = await Conn.open();
    const b = await Conn.open();
    await a.expect(cmd('SET', 'tw:k', '1'), '+OK\r\n');
    // Changed by another connection.
    await a.expect(cmd('WATCH', 'tw:k', 'tw:absent'), '+OK\r\n');
    await b.expect(cmd('INCR', 'tw:k'), ':2\r\n');
    await a.expect(cmd('MULTI') + cmd('SET', 'tw:k', '100') + cmd('SET', 'tw:other', 'x') + cmd('EXEC'), '+OK\r\n+QUEUED\r\n+QUEUED\r\n*-1\r\n');
    await a.expect(cmd('MGET', 'tw:k', 'tw:other'), '*2\r\n$1\r\n2\r\n$-1\r\n');
    // A watched absent key created by someone else.
    await a.expect(cmd('WATCH', 'tw:absent'), '+OK\r\n');
    await b.expect(cmd('SET', 'tw:absent', 'now'), '+OK\r\n');
    await a.expect(cmd('MULTI') + cmd('DEL', 'tw:absent') + cmd('EXEC'), '+OK\r\n+QUEUED\r\n*-1\r\n');
    // Changed by the watching connection itself, as in Redis.
    await a.expect(cmd('WATCH', 'tw:k') + cmd('SET', 'tw:k', 'self') + cmd('MULTI') + cmd('GET', 'tw:k') + cmd('EXEC'), '+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n');
    // Unchanged (and a key absent then and now): applied; EXEC forgets the watches.
    await a.expect(cmd('WATCH', 'tw:k', 'tw:never') + cmd('MULTI') + cmd('INCR', 'tw:n') + cmd('EXEC'), '+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n:1\r\n');
    await b.expect(cmd('SET', 'tw:k', 'later'), '+OK\r\n');
    await a.expect(cmd('MULTI') + cmd('INCR', 'tw:n') + cmd('EXEC'), '+OK\r\n+QUEUED\r\n*1\r\n:2\r\n');
    // UNWATCH and DISCARD forget them too.
    await a.expect(cmd('WATCH', 'tw:k') + cmd('UNWATCH'), '+OK\r\n+OK\r\n');
    await b.expect(cmd('SET', 'tw:k', 'again'), '+OK\r\n');
    await a.expect(cmd('MULTI') + cmd('INCR', 'tw:n') + cmd('EXEC'), '+OK\r\n+QUEUED\r\n*1\r\n:3\r\n');
    await a.expect(cmd('WATCH', 'tw:k') + cmd('MULTI') + cmd('DISCARD'), '+OK\r\n+OK\r\n+OK\r\n');
    await b.expect(cmd('SET', 'tw:k', 'more'), '+OK\r\n');
    await a.expect(cmd('MULTI') + cmd('INCR', 'tw:n') + cmd('EXEC'), '+OK\r\n+QUEUED\r\n*1\r\n:4\r\n');
  });

  test('WATCH, MULTI, EXEC and a read pipelined in one write: EXEC uses the versions and the read sees the transaction', async () => {
    const c = await Conn.open();
    await c.expect(
      cmd('WATCH', 'tp:k') + cmd('MULTI') + cmd('SET', 'tp:k', 'v1') + cmd('EXEC') + 'GET tp:k\r\n' + cmd('SET', 'tp:k', 'v2') + 'GET tp:k\r\n',
      '+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n$2\r\nv1\r\n+OK\r\n$2\r\nv2\r\n',
    );
  });

  test('MSETNX sets all keys when none exists (1), else none (0)', async () => {
    const c = await Conn.open();
    await c.expect(cmd('MSETNX', 'tn:a', '1', 'tn:b', '2'), ':1\r\n');
    await c.expect(cmd('MSETNX', 'tn:b', 'x', 'tn:c', 'y'), ':0\r\n');
    await c.expect(cmd('MGET', 'tn:a', 'tn:b', 'tn:c'), '*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n');
    await c.expect(cmd('MSETNX', 'tn:a', '1', 'tn:b'), "-ERR wrong number of arguments for 'msetnx' command\r\n");
  });

  test('queued commands run all together: a concurrent reader never sees half of an EXEC', async () => {
    const writer = await Conn.open();
    const db = await openClient(router.port);
    let stop = false;
    const torn: string[] = [];
    const reader = (async () => {
      while (!stop) {
        const [x, y] = await db.mget(['th:x', 'th:y']);
        if (x !== y) torn.push(`${x}/${y}`);
      }
    })();
    for (let i = 0; i < 100; i++) {
      await writer.expect(cmd('MULTI') + cmd('SET', 'th:x', String(i)) + cmd('SET', 'th:y', String(i)) + cmd('EXEC'), '+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n+OK\r\n');
    }
    stop = true;
    await reader;
    expect(torn).toEqual([]);
  });
});

describe('native txn()', () => {
  let db: KvndbClient;
  beforeAll(async () => {
    db = await openClient(router.port);
  });

  test('if/then/else, read results per op, failed ops as KvndbError in the results', async () => {
    await db.set('nt:s', 'text');
    const first = await db.txn({
      if: [{ key: 'nt:a', exists: false }],
      then: [
        { op: 'set', key: 'nt:a', value: 'one' },
        { op: 'incr', key: 'nt:n', by: 5 },
        { op: 'incr', key: 'nt:s' },
        { op: 'get', key: 'nt:a' },
        { op: 'getBuffer', key: 'nt:a' },
        { op: 'getEntry', key: 'nt:a' },
        { op: 'set', key: 'nt:a', value: 'two', get: true },
        { op: 'del', key: 'nt:missing' },
      ],
      else: [{ op: 'get', key: 'nt:a' }],
    });
    expect(first.succeeded).toBe(true);
    const [set, n, bad, str, buf, entry, prev, del] = first.results;
    expect([set, n, str, del]).toEqual([true, 5, 'one', false]);
    expect(Buffer.isBuffer(buf) && buf.toString()).toBe('one');
    expect(bad).toBeInstanceOf(KvndbError);
    expect((bad as KvndbError).code).toBe('NOT_A_NUMBER');
    expect((prev as Buffer).toString()).toBe('one');
    const e = entry as { value: Buffer; version: number; updated: number; expires: number };
    expect(e.value.toString()).toBe('one');
    expect(e.version).toBeGreaterThan(0);
    expect(e.expires).toBe(0);
    // The else branch ran, and nothing of then applied.
    const second = await db.txn({
      if: [{ key: 'nt:a', exists: false }],
      then: [{ op: 'set', key: 'nt:a', value: 'three' }],
      else: [{ op: 'get', key: 'nt:a' }],
    });
    expect(second).toEqual({ succeeded: false, results: ['two'] });
    // Value and version comparisons.
    const entryNow = await db.getEntry('nt:a');
    expect(await db.txn({ if: [{ key: 'nt:a', value: 'two' }, { key: 'nt:a', version: entryNow!.version }], then: [{ op: 'del', key: 'nt:a' }] })).toEqual({ succeeded: true, results: [true] });
    expect((await db.txn({ if: [{ key: 'nt:a', version: entryNow!.version }] })).succeeded).toBe(false);
    expect((await db.txn({ if: [{ key: 'nt:a', version: 0 }] })).succeeded).toBe(true);
    // Bad input is refused before anything is sent.
    await expect(db.txn({ then: [{ op: 'nope' } as never] })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  test('compare-and-set loops on version from 4 clients end with the exact total', async () => {
    const clients = await Promise.all([0, 1, 2, 3].map(() => openClient(router.port)));
    let retries = 0;
    await Promise.all(
      clients.map(async (c) => {
        for (let i = 0; i < 25; i++) {
          for (;;) {
            const e = await c.getEntry('nt:cas');
            const n = e === null ? 0 : Number(e.value.toString());
            const r = await c.txn({ if: [{ key: 'nt:cas', version: e?.version ?? 0 }], then: [{ op: 'set', key: 'nt:cas', value: String(n + 1) }] });
            if (r.succeeded) break;
            retries++;
          }
        }
      }),
    );
    expect(await db.get('nt:cas')).toBe('100');
    // The loops did contend: some attempts lost their race and were retried.
    expect(retries).toBeGreaterThan(0);
  });
});
