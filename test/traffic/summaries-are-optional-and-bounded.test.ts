// Traffic summaries are an addition to the discovery protocol, not a requirement, and a summary costs
// the control plane bounded work whatever it holds: a stream that never sends one is served as
// before; a summary with more than 200 routes is truncated to 200, one with other latency buckets or
// one too soon after the previous is refused, and each outcome is counted in /metrics.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { TrafficSummarySchema } from '../../proto/gen/sluice/v1/discovery_pb.js';
import { LATENCY_BOUNDS_S } from '../../proto/src/wire/traffic-limits.js';
import { TestApi } from '../support/api-harness.js';
import { until } from '../support/until.js';
import { RawStream } from '../discovery/support/discovery-fixture.js';
import type { TrafficReport } from '../../control-plane/src/traffic/traffic-report.js';

let api: TestApi;
let address: string;
const streams: RawStream[] = [];

before(async () => {
  api = await TestApi.start({ kind: 'embedded' }, { discoveryListen: { host: '127.0.0.1', port: 0 }, traffic: { windowMs: 1000 } });
  address = api.controlPlane.discovery!.address;
  assert.equal((await api.apply([{ kind: 'Cluster', name: 'web', endpoints: [{ address: '127.0.0.1', port: 18080 }] }])).status, 200);
});

after(async () => {
  for (const s of streams) s.close();
  await api?.stop();
});

const open = (nodeId: string): RawStream => {
  const s = new RawStream(address);
  streams.push(s);
  s.send({ node: { id: nodeId, service: 'svc' }, type: 'Cluster', subscribe: ['*'] });
  return s;
};

const counts = (name: string, ok: number): { name: string; byStatusClass: number[]; latencyBuckets: number[] } => ({
  name,
  byStatusClass: [0, 0, ok, 0, 0, 0],
  latencyBuckets: [0, 0, 0, 0, ok],
});

const summary = (routes: number, entries = Array.from({ length: routes }, (_, i) => counts(`route-${String(i).padStart(3, '0')}`, 1))): MessageInitShape<typeof TrafficSummarySchema> => ({
  intervalMs: 1000,
  latencyBoundsSeconds: [...LATENCY_BOUNDS_S],
  total: counts('', routes),
  routes: entries,
  clusters: [counts('web', routes)],
});

const metric = async (series: string): Promise<number> => {
  const text = await (await fetch(`${api.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
};

test('a stream that sends no summary is configured and ACKed as before; GET /v1/traffic reports no proxy', async () => {
  const s = open('old-style');
  const r = await s.response(0);
  assert.equal(r.type, 'Cluster');
  assert.deepEqual(r.resources.map((x) => x.name), ['web']);
  s.ack(r);
  await until('the old-style proxy is listed as at the revision', async () => (await api.get('/v1/rollout')).body.at === 1, 5000);
  const traffic = await api.get('/v1/traffic');
  assert.equal(traffic.status, 200);
  assert.equal((traffic.body as TrafficReport).proxiesReporting, 0);
  assert.deepEqual((traffic.body as TrafficReport).mesh, { rps: 0, errorRate: 0, p50Ms: 0, p99Ms: 0 });
  assert.equal((await api.get('/v1/traffic', { token: null })).status, 401);
});

test('an oversized summary is truncated to 200 routes, a malformed or hurried one refused, each counted', async () => {
  const s = open('chatty');
  s.ack(await s.response(0));
  const accepted0 = await metric('sluice_traffic_summaries_total{result="accepted"}');
  s.send({ type: '', traffic: summary(250) });
  await until('the oversized summary counted as truncated', async () => (await metric('sluice_traffic_summaries_total{result="truncated"}')) === 1, 5000);
  assert.equal(await metric('sluice_traffic_entries_dropped_total'), 50);
  // Sent at once after the previous: refused, whatever it holds.
  s.send({ type: '', traffic: summary(3) });
  await until('the hurried summary refused', async () => (await metric('sluice_traffic_summaries_total{result="refused"}')) === 1, 5000);
  await new Promise((r) => setTimeout(r, 1100));
  s.send({ type: '', traffic: { ...summary(3), latencyBoundsSeconds: [0.1, 1, 10] } });
  await until('the summary with other buckets refused', async () => (await metric('sluice_traffic_summaries_total{result="refused"}')) === 2, 5000);
  await new Promise((r) => setTimeout(r, 1100));
  s.send({ type: '', traffic: summary(1, [{ name: 'r', byStatusClass: [1, 2, 3, 4, 5, 6, 7], latencyBuckets: [] }]) });
  await until('the summary with seven status classes refused', async () => (await metric('sluice_traffic_summaries_total{result="refused"}')) === 3, 5000);
  assert.equal(await metric('sluice_traffic_summaries_total{result="accepted"}'), accepted0);
  // What was kept of the truncated one shows: its 200 busiest routes at most, the stream still open.
  const counted = (r: TrafficReport): number => r.series.reduce((n, p) => n + p.rps * r.windowSeconds, 0);
  // Its total counts every request, the truncated routes included.
  const report = await until('the truncated summary\'s 250 requests in the reported windows', async () => {
    const r = (await api.get('/v1/traffic')).body as TrafficReport;
    return Math.abs(counted(r) - 250) < 0.1 ? r : undefined;
  }, 10_000);
  assert.ok(report.routes.length <= 200, `${report.routes.length} routes`);
  await api.apply([{ kind: 'Cluster', name: 'web-2', endpoints: [{ address: '127.0.0.1', port: 18081 }] }]);
  await until('the stream still gets configuration', () => s.responses.some((r) => r.resources.some((x) => x.name === 'web-2')), 5000);
});
