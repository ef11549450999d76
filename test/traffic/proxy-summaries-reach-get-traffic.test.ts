// A real `sluice proxy` with two workers serves requests through a route to an upstream that answers
// some of them 503; its traffic summaries reach the control plane, and GET /v1/traffic reports the
// requests (exactly the count sent, and what the proxy's own /metrics counts), the error rate, the
// route, the cluster, the service-to-cluster edge and a p99 inside the right latency bucket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_TOKEN, TestApi } from '../support/api-harness.js';
import { cleanupStack } from '../support/cleanup-stack.js';
import { freePort } from '../support/free-port.js';
import { stopChild } from '../support/process-guard.js';
import { SluiceProcess } from '../support/run-sluice.js';
import { until } from '../support/until.js';
import { httpAnswer } from '../support/http-answer.js';
import type { TrafficReport } from '../../control-plane/src/traffic/traffic-report.js';

const WINDOW_MS = 1000;
/** Every answer waits this long: all land in the 100–250 ms latency bucket, with room for a busy machine. */
const UPSTREAM_DELAY_MS = 120;
const [BUCKET_LOW_MS, BUCKET_HIGH_MS] = [100, 250];

test('proxy summaries make GET /v1/traffic report counts, rate, errors and latency', { timeout: 90_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const upstream: Server = createServer((req, res) => {
    setTimeout(() => {
      res.writeHead(req.url?.endsWith('/fail') ? 503 : 200, { 'content-type': 'text/plain' });
      res.end('ok');
    }, UPSTREAM_DELAY_MS);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  cleanup(() => new Promise((r) => upstream.close(r)));
  const upstreamPort = (upstream.address() as AddressInfo).port;

  const api = await TestApi.start({ kind: 'embedded' }, { discoveryListen: { host: '127.0.0.1', port: 0 }, traffic: { windowMs: WINDOW_MS } });
  cleanup(() => api.stop());
  const listenPort = await freePort();
  const applied = await api.apply([
    { kind: 'Cluster', name: 'backend', endpoints: [{ address: '127.0.0.1', port: upstreamPort }] },
    { kind: 'Route', name: 'api', hosts: ['traffic.local'], match: { pathPrefix: '/api/' }, forward: { cluster: 'backend' } },
    { kind: 'Listener', name: 'public', address: '127.0.0.1', port: listenPort, protocol: 'HTTP' },
  ]);
  assert.equal(applied.status, 200, JSON.stringify(applied.body));

  const adminPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-traffic-'));
  const proxy = new SluiceProcess(['proxy', '--control-plane', api.controlPlane.discovery!.address, '--node-id', 'front-1', '--service', 'frontend', '--workers', '2',
    '--traffic-interval-ms', '1000', '--admin-listen', `127.0.0.1:${adminPort}`, '--state-dir', join(dir, 'state')], { SLUICE_TOKEN: TEST_TOKEN });
  cleanup(() => stopChild(proxy.child, 0, 'SIGKILL'));
  const send = async (path: string): Promise<number> => (await httpAnswer(listenPort, path, { headers: { host: 'traffic.local' }, timeoutMs: 5000 }))?.status ?? 0;
  await until(() => `the proxy serves the route:\n${proxy.stdout}\n${proxy.stderr}`, async () => (await send('/api/warm')) === 200, 30_000);

  const report = async (): Promise<TrafficReport> => {
    const res = await api.get('/v1/traffic');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as TrafficReport;
  };
  const counted = (r: TrafficReport): number => r.series.reduce((n, p) => n + p.rps * r.windowSeconds, 0);
  const countedErrors = (r: TrafficReport): number => r.series.reduce((n, p) => n + p.rps * p.errorRate * r.windowSeconds, 0);

  // Steady load, one request in five failing, until a whole window inside the load is reported.
  let sent = 1; // the warm-up request
  let failed = 0;
  let loading = true;
  const loadStartS = Date.now() / 1000;
  const loop = async (): Promise<void> => {
    for (let i = 0; loading; i++) {
      const fail = i % 5 === 4;
      const status = await send(fail ? '/api/fail' : '/api/ok');
      assert.equal(status, fail ? 503 : 200);
      sent++;
      if (fail) failed++;
    }
  };
  const load = Promise.all([loop(), loop(), loop(), loop()]);
  let lastReport: TrafficReport | undefined;
  const during = await until(() => `a window inside the load; last: ${JSON.stringify({ ...lastReport, series: lastReport?.series.slice(-3) })}`, async () => {
    const r = (lastReport = await report());
    const last = r.series[r.series.length - 1]!;
    return last.t >= loadStartS + 2 && r.routes.length > 0 ? r : undefined;
  }, 30_000);
  loading = false;
  await load;

  assert.equal(during.windowSeconds, 1);
  assert.equal(during.proxiesReporting, 1);
  assert.equal(during.series.length, 300);
  const mesh = during.mesh;
  assert.ok(mesh.rps > 5, `rps ${mesh.rps}`);
  assert.ok(Math.abs(mesh.errorRate - 0.2) < 0.06, `errorRate ${mesh.errorRate}`);
  // Every request took a little more than 120 ms: the 100–250 ms bucket, where interpolation keeps p50 and p99.
  assert.ok(mesh.p99Ms > BUCKET_LOW_MS && mesh.p99Ms <= BUCKET_HIGH_MS, `p99 ${mesh.p99Ms}`);
  assert.ok(mesh.p50Ms > BUCKET_LOW_MS && mesh.p50Ms <= mesh.p99Ms, `p50 ${mesh.p50Ms}`);
  assert.deepEqual(during.routes.map((r) => r.route), ['api']);
  assert.deepEqual(during.clusters.map((c) => c.cluster), ['backend']);
  assert.equal(during.routes[0]!.rps, mesh.rps);
  assert.equal(during.clusters[0]!.errorRate, mesh.errorRate);
  assert.deepEqual(during.edges.map(({ from, to }) => ({ from, to })), [{ from: 'frontend', to: 'backend' }]);
  assert.equal(during.edges[0]!.rps, mesh.rps);

  // Once the last summaries are in, the series holds every request sent, and the 503s among them.
  let seen = 0;
  const final = await until(() => `all ${sent} requests counted, not ${seen}`, async () => {
    const r = await report();
    seen = counted(r);
    return Math.abs(seen - sent) < 0.1 ? r : undefined;
  }, 20_000);
  assert.ok(Math.abs(countedErrors(final) - failed) < 1, `${countedErrors(final)} errors counted, ${failed} sent`);
  // The same counters as /metrics: the proxy's request total over its workers is what was reported.
  const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const total = [...metrics.matchAll(/^sluice_proxy_requests_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  assert.equal(total, sent);
  const point = final.series.reduce((a, b) => (b.rps > a.rps ? b : a));
  assert.ok(point.p99Ms > BUCKET_LOW_MS && point.p99Ms <= BUCKET_HIGH_MS, `series p99 ${point.p99Ms}`);
});
