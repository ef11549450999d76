// Two control-plane replicas on one etcd, a proxy on each sending traffic summaries over real gRPC:
// each replica's GET /v1/traffic reports both proxies, both routes, both clusters and both edges,
// from its own proxy's summaries and the other replica's published window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlPlane } from '../../control-plane/src/control-plane.js';
import { createLogger } from '../../control-plane/src/logger.js';
import type { TrafficReport } from '../../control-plane/src/traffic/traffic-report.js';
import { TrafficReporter } from '../../data-plane/src/discovery/traffic-reporter.js';
import { LATENCY_BOUNDS_S } from '../../proto/src/wire/traffic-limits.js';
import { TEST_TOKEN } from '../support/api-harness.js';
import { cleanupStack } from '../support/cleanup-stack.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { until } from '../support/until.js';
import { startProxy } from '../discovery/support/discovery-fixture.js';

const WINDOW_MS = 1000;

test('each of two replicas reports the traffic of the proxies of both', { timeout: 60_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const etcd = await EtcdCluster.start();
  cleanup(() => etcd.stop());
  const replicas: ControlPlane[] = [];
  for (const id of ['cp-a', 'cp-b']) {
    const cp = new ControlPlane({
      etcdEndpoints: etcd.endpoints,
      token: TEST_TOKEN,
      apiListen: { host: '127.0.0.1', port: 0 },
      discoveryListen: { host: '127.0.0.1', port: 0 },
      log: createLogger({ level: 'error' }),
      health: { replicaId: id, leaseTtlSeconds: 5 },
      traffic: { windowMs: WINDOW_MS },
    });
    await cp.start();
    cleanup(() => cp.stop());
    replicas.push(cp);
  }
  // Proxy A (service shop) on replica a: 10 requests a second on route cart to cluster carts, all 2xx,
  // in the 10–25 ms bucket. Proxy B (service search) on replica b: 20 a second on route find to
  // cluster index, two of them 503, in the 100–250 ms bucket.
  const proxies = [
    { replica: replicas[0]!, node: 'shop-1', service: 'shop', route: 'cart', cluster: 'carts', byClass: [0, 0, 10, 0, 0, 0], bucket: 5 },
    { replica: replicas[1]!, node: 'search-1', service: 'search', route: 'find', cluster: 'index', byClass: [0, 0, 18, 0, 0, 2], bucket: 8 },
  ];
  for (const p of proxies) {
    const proxy = await startProxy([p.replica.discovery!.address], { nodeId: p.node, node: { id: p.node, service: p.service } });
    cleanup(() => proxy.stop());
    const latency = new Array<number>(LATENCY_BOUNDS_S.length + 1).fill(0);
    latency[p.bucket] = p.byClass.reduce((a, b) => a + b, 0);
    const reporter = new TrafficReporter({
      intervalMs: WINDOW_MS,
      connected: () => proxy.client.connectedTo !== undefined,
      take: async () => [[{ route: p.route, cluster: p.cluster, byClass: p.byClass, latency }]],
      send: (summary) => proxy.client.reportTraffic(summary),
    });
    cleanup(() => reporter.stop());
  }

  for (const [i, cp] of replicas.entries()) {
    let last: TrafficReport | undefined;
    const report = await until(() => `replica ${i} reports both proxies; last: ${JSON.stringify({ ...last, series: undefined })}`, async () => {
      const res = await fetch(`${cp.apiUrl}/v1/traffic`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
      last = (await res.json()) as TrafficReport;
      return last.proxiesReporting === 2 && last.routes.length === 2 ? last : undefined;
    }, 20_000);
    assert.deepEqual(report.routes.map((r) => r.route), ['find', 'cart'], 'busiest first');
    assert.deepEqual(report.clusters.map((c) => c.cluster), ['index', 'carts']);
    assert.deepEqual(report.edges.map((e) => `${e.from}->${e.to}`), ['search->index', 'shop->carts']);
    const [find, cart] = report.routes;
    // The reporters' timers run a little late at times: a rate within 15 % of the one sent.
    assert.ok(Math.abs(cart!.rps - 10) < 1.5 && Math.abs(find!.rps - 20) < 3, `${cart!.rps} and ${find!.rps} rps`);
    assert.equal(cart!.errorRate, 0);
    assert.equal(find!.errorRate, 0.1);
    assert.ok(Math.abs(report.mesh.rps - cart!.rps - find!.rps) < 0.01);
    assert.ok(Math.abs(report.mesh.errorRate - 2 / 30) < 0.01, `mesh errorRate ${report.mesh.errorRate}`);
    // A third of the requests in 10–25 ms, two thirds in 100–250 ms: p50 and p99 in the upper bucket.
    assert.ok(cart!.p99Ms > 10 && cart!.p99Ms <= 25, `cart p99 ${cart!.p99Ms}`);
    assert.ok(report.mesh.p99Ms > 100 && report.mesh.p99Ms <= 250, `mesh p99 ${report.mesh.p99Ms}`);
    assert.ok(report.mesh.p50Ms > 100 && report.mesh.p50Ms <= 250, `mesh p50 ${report.mesh.p50Ms}`);
  }
});
