// GET /metrics: Prometheus text without a token, with the API's request counts by route pattern and
// the store revision the cache reflects.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestApi } from '../support/api-harness.js';

let api: TestApi;
before(async () => {
  api = await TestApi.start();
});
after(async () => {
  await api.stop();
});

test('/metrics needs no token and counts requests by route pattern, not by raw path', async () => {
  await api.put('/v1/clusters/metrics-a', { kind: 'Cluster', name: 'metrics-a', endpoints: [{ address: '127.0.0.1', port: 19081 }] });
  await api.get('/v1/clusters/metrics-a');
  await api.get('/v1/clusters/metrics-missing');
  const res = await fetch(`${api.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  assert.match(res.headers.get('sluice-revision') ?? '', /^\d+$/);
  const text = await res.text();
  assert.match(text, /sluice_api_requests_total\{method="PUT",route="\/v1\/:kind\/:name",status="201"\} 1/);
  assert.match(text, /sluice_api_requests_total\{method="GET",route="\/v1\/:kind\/:name",status="404"\} 1/);
  assert.ok(!text.includes('metrics-a'), 'resource names never become labels');
  const revision = Number(res.headers.get('sluice-revision'));
  assert.match(text, new RegExp(`sluice_store_revision ${revision}\\b`));
  assert.match(text, /sluice_store_reachable 1/);
  assert.match(text, /process_cpu_seconds_total/);
});
