import { parsePrometheusText, sampleValue } from './prometheus-text';

const GOOD = `# HELP reqs_total Requests.
# TYPE reqs_total counter
reqs_total{door="http",command="put"} 3
reqs_total{door="resp",command="a\\"b\\\\c\\n"} 1.5e2
# TYPE lat_seconds histogram
lat_seconds_bucket{le="0.1",command="set"} 1
lat_seconds_bucket{le="+Inf",command="set"} 2
lat_seconds_sum{command="set"} 0.3
lat_seconds_count{command="set"} 2
# a plain comment
up 1
`;

test('parses families, labels with escapes, histograms', () => {
  const m = parsePrometheusText(GOOD.replace('up 1\n', ''));
  expect(sampleValue(m, 'reqs_total', { door: 'http' })).toBe(3);
  expect(sampleValue(m, 'reqs_total', { command: 'a"b\\c\n' })).toBe(150);
  expect(sampleValue(m, 'lat_seconds', { command: 'set', le: '+Inf' }, 'lat_seconds_bucket')).toBe(2);
  expect(m.get('lat_seconds')!.type).toBe('histogram');
});

test('reads NaN and Inf in any case, as Prometheus does (prom-client writes "Nan")', () => {
  const m = parsePrometheusText('# TYPE a gauge\na{x="1"} Nan\na{x="2"} NaN\na{x="3"} +Inf\na{x="4"} -inf\n');
  expect(sampleValue(m, 'a', { x: '1' })).toBeNaN();
  expect(sampleValue(m, 'a', { x: '2' })).toBeNaN();
  expect(sampleValue(m, 'a', { x: '3' })).toBe(Infinity);
  expect(sampleValue(m, 'a', { x: '4' })).toBe(-Infinity);
});

test.each([
  ['a sample before its TYPE', GOOD],
  ['a series twice', '# TYPE x gauge\nx 1\nx 2\n'],
  ['a bad value', '# TYPE x gauge\nx abc\n'],
  ['an unquoted label', '# TYPE x gauge\nx{a=b} 1\n'],
  ['no final newline', '# TYPE x gauge\nx 1'],
  ['buckets not cumulative', '# TYPE h histogram\nh_bucket{le="1"} 5\nh_bucket{le="+Inf"} 4\nh_count 4\nh_sum 1\n'],
  ['+Inf differing from _count', '# TYPE h histogram\nh_bucket{le="+Inf"} 4\nh_count 5\nh_sum 1\n'],
])('refuses %s', (_what, text) => {
  expect(() => parsePrometheusText(text)).toThrow();
});
