// Small units behind the access log and the metrics: secret query values are redacted and others
// kept; pino's redact paths catch secret keys a caller might add; histogram buckets are cumulative.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { REDACT_PATHS, redactQuery } from '../../../data-plane/src/logging/redact.js';
import { LATENCY_BUCKETS_S, LatencyHistogram } from '../../../data-plane/src/metrics/latency-histogram.js';

test('secret query parameters are redacted, the rest kept as sent', () => {
  const table: Array<[string, string, string]> = [
    ['/a', '', '/a'],
    ['/a', 'page=2&sort=asc', '/a?page=2&sort=asc'],
    ['/a', 'access_token=abc&page=2', '/a?access_token=[redacted]&page=2'],
    ['/a', 'X-Amz-Signature=abc&X-Amz-Credential=def', '/a?X-Amz-Signature=[redacted]&X-Amz-Credential=[redacted]'],
    ['/a', 'api_key=1&apikey=2&password=3&client_secret=4', '/a?api_key=[redacted]&apikey=[redacted]&password=[redacted]&client_secret=[redacted]'],
    ['/a', 'flag&token=', '/a?flag&token=[redacted]'],
  ];
  for (const [path, query, want] of table) assert.equal(redactQuery(path, query), want, `${path}?${query}`);
});

test('pino with the proxy redact paths hides authorization, cookies, private keys and tokens at any depth', () => {
  const lines: string[] = [];
  const log = pino({ redact: { paths: [...REDACT_PATHS], censor: '[redacted]' } }, { write: (s: string) => void lines.push(s) });
  log.info({ authorization: 'Bearer a', req: { headers: { cookie: 'c=1', 'set-cookie': 'd=2', 'x-api-key': 'k', accept: '*/*' } }, cert: { privateKey: 'PEM' }, token: 't' });
  const out = lines.join('');
  for (const secret of ['Bearer a', 'c=1', 'd=2', '"k"', 'PEM', '"t"']) assert.ok(!out.includes(secret), `${secret} leaked: ${out}`);
  assert.match(out, /"accept":"\*\/\*"/);
});

test('latency histogram: cumulative buckets from 0.5 ms to a minute, +Inf equals the count', () => {
  assert.equal(LATENCY_BUCKETS_S[0], 0.0005);
  assert.equal(LATENCY_BUCKETS_S[LATENCY_BUCKETS_S.length - 1], 60);
  const h = new LatencyHistogram();
  for (const s of [0.0001, 0.002, 0.002, 0.3, 90]) h.observe(s);
  const values = h.values('x', { route: 'r' });
  const bucket = (le: number | string): number => values.find((v) => v.metricName === 'x_bucket' && v.labels['le'] === le)!.value;
  assert.equal(bucket(0.0005), 1);
  assert.equal(bucket(0.0025), 3);
  assert.equal(bucket(0.5), 4);
  assert.equal(bucket(LATENCY_BUCKETS_S[LATENCY_BUCKETS_S.length - 1]!), 4);
  assert.equal(bucket('+Inf'), 5);
  assert.equal(values.find((v) => v.metricName === 'x_count')!.value, 5);
  assert.ok(Math.abs(values.find((v) => v.metricName === 'x_sum')!.value - 90.3041) < 1e-9);
});
