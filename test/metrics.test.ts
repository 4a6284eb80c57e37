/**
 * GET /metrics through a strict Prometheus text-format parser (helpers/prometheus-text.ts), with
 * values checked against a known load through all three doors: after N SETs the counter
 * says N.
 */
import Redis from 'ioredis';
import { parsePrometheusText, sampleValue, type Family } from './helpers/prometheus-text';
import { client, freePort, startReplica, startRouterWithHttp, stopAll, waitInSync, type RouterHandle } from './helpers/cluster';

jest.setTimeout(90000);

const PASSWORD = 'metrics-pw';
const AUTH = { authorization: `Bearer ${PASSWORD}` };

let router: RouterHandle & { httpPort: number; url: string };
let respPort: number;

beforeAll(async () => {
  respPort = await freePort();
  router = await startRouterWithHttp(['--resp-port', String(respPort)], { KVNDB_PASSWORD: PASSWORD });
  startReplica('memory', router.port, { name: 'alpha', env: { KVNDB_PASSWORD: PASSWORD } });
  startReplica('memory', router.port, { name: 'beta', env: { KVNDB_PASSWORD: PASSWORD } });
  const db = await client(router.port, { password: PASSWORD });
  await waitInSync(db, 2);
  await db.close();
});

afterAll(() => stopAll());

async function scrape(): Promise<Map<string, Family>> {
  const res = await fetch(`${router.url}metrics`, { headers: AUTH });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

const value = sampleValue;

test('after N SETs through each door, the request counters say N', async () => {
  const before = await scrape();
  const N = 137;
  const db = await client(router.port, { password: PASSWORD });
  const redis = new Redis({ host: '127.0.0.1', port: respPort, password: PASSWORD, lazyConnect: true });
  try {
    for (let i = 0; i < N; i++) await db.set(`native-${i}`, 'v');
    await redis.connect();
    const pipeline = redis.pipeline();
    for (let i = 0; i < N; i++) pipeline.set(`resp-${i}`, 'v');
    await pipeline.exec();
    for (let i = 0; i < N; i++) expect((await fetch(`${router.url}v1/kv/http-${i}`, { method: 'PUT', body: 'v', headers: AUTH })).status).toBe(200);
    // Errors: a failed condition at HTTP, a non-number counter at the native door and at RESP.
    expect((await fetch(`${router.url}v1/kv/http-0`, { method: 'PUT', body: 'x', headers: { ...AUTH, 'if-none-match': '*' } })).status).toBe(412);
    await expect(db.incr('native-0')).rejects.toMatchObject({ code: 'NOT_A_NUMBER' });
    await expect(redis.incr('resp-0')).rejects.toThrow(/not an integer/);
    // A wrong password at HTTP and at RESP.
    expect((await fetch(`${router.url}v1/status`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const bad = new Redis({ host: '127.0.0.1', port: respPort, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    bad.on('error', () => undefined);
    await bad.connect();
    await expect(bad.auth('wrong')).rejects.toThrow(/WRONGPASS/);
    bad.disconnect();

    const m = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}): number => value(m, name, labels) - value(before, name, labels);
    expect(delta('kvndb_requests_total', { door: 'native', command: 'set' })).toBe(N);
    expect(delta('kvndb_requests_total', { door: 'resp', command: 'set' })).toBe(N);
    expect(delta('kvndb_requests_total', { door: 'http', command: 'put' })).toBe(N + 1);
    expect(delta('kvndb_writes_sequenced_total')).toBeGreaterThanOrEqual(3 * N);
    expect(delta('kvndb_request_errors_total', { door: 'http', code: 'PRECONDITION_FAILED' })).toBe(1);
    expect(delta('kvndb_request_errors_total', { door: 'native', code: 'NOT_A_NUMBER' })).toBe(1);
    expect(delta('kvndb_request_errors_total', { door: 'resp', code: 'NOT_A_NUMBER' })).toBe(1);
    expect(delta('kvndb_auth_failures_total', { door: 'http' })).toBe(1);
    expect(delta('kvndb_auth_failures_total', { door: 'resp' })).toBe(1);
    expect(value(m, 'kvndb_seq')).toBeGreaterThanOrEqual(3 * N);

    // Latency: sampled (one request in 16), so after 3N+ requests the histogram has counts.
    expect(m.get('kvndb_request_duration_seconds')!.type).toBe('histogram');
    const count = value(m, 'kvndb_request_duration_seconds', { command: 'set' }, 'kvndb_request_duration_seconds_count');
    expect(count).toBeGreaterThan(0);
    expect(value(m, 'kvndb_request_duration_seconds', { command: 'set', le: '+Inf' }, 'kvndb_request_duration_seconds_bucket')).toBe(count);
    expect(value(m, 'kvndb_request_duration_seconds', { command: 'set' }, 'kvndb_request_duration_seconds_sum')).toBeGreaterThan(0);

    // Replicas, connections and the backlog.
    for (const name of ['alpha', 'beta']) {
      expect(value(m, 'kvndb_replica_state', { replica: name, state: 'in-sync' })).toBe(1);
      expect(value(m, 'kvndb_replica_state', { replica: name, state: 'syncing' })).toBe(0);
      expect(value(m, 'kvndb_replica_lag_writes', { replica: name })).toBe(0);
      expect(m.get('kvndb_replica_inflight_reads')!.samples.some((s) => s.labels.replica === name)).toBe(true);
    }
    expect(value(m, 'kvndb_connections', { kind: 'replica' })).toBe(2);
    expect(value(m, 'kvndb_connections', { kind: 'client' })).toBe(1);
    // The refused RESP connection may not have closed at the router yet.
    expect(value(m, 'kvndb_connections', { kind: 'resp' })).toBeGreaterThanOrEqual(1);
    expect(value(m, 'kvndb_connections', { kind: 'http' })).toBeGreaterThanOrEqual(1);
    expect(value(m, 'kvndb_backlog_bytes')).toBeGreaterThan(0);
    expect(value(m, 'kvndb_backlog_oldest_seq')).toBeGreaterThanOrEqual(1);
    // Process metrics.
    expect(value(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(m.has('nodejs_eventloop_lag_seconds')).toBe(true);
  } finally {
    redis.disconnect();
    await db.close();
  }
});

test('names follow Prometheus conventions: counters end in _total, units as suffixes', async () => {
  const m = await scrape();
  const ours = [...m.values()].filter((f) => f.name.startsWith('kvndb_'));
  expect(ours.length).toBeGreaterThan(15);
  for (const f of ours) {
    expect(f.name).toMatch(/^kvndb_[a-z][a-z0-9_]*$/);
    expect(f.help.length).toBeGreaterThan(10);
    if (f.type === 'counter') expect(f.name).toMatch(/_total$/);
    else expect(f.name).not.toMatch(/_total$/);
    if (f.type === 'histogram') expect(f.name).toMatch(/_seconds$/);
  }
});
