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
  // cluster index, one in ten 503, in the 100–250 ms bucket. Requests come in batches of ten, as many
  // as the time since the previous summary holds at that rate: a busy machine's late timers change
  // how long a summary covers, not the rate.
  const proxies = [
    { replica: replicas[0]!, node: 'shop-1', service: 'shop', route: 'cart', cluster: 'carts', batchesPerS: 1, batch: [0, 0, 10, 0, 0, 0], bucket: 5 },
    { replica: replicas[1]!, node: 'search-1', service: 'search', route: 'find', cluster: 'index', batchesPerS: 2, batch: [0, 0, 9, 0, 0, 1], bucket: 8 },
  ];
  for (const p of proxies) {
    const proxy = await startProxy([p.replica.discovery!.address], { nodeId: p.node, node: { id: p.node, service: p.service } });
    cleanup(() => proxy.stop());
    let lastAt = performance.now();
    let owed = 0;
    const reporter = new TrafficReporter({
      intervalMs: WINDOW_MS,
      connected: () => proxy.client.connectedTo !== undefined,
      take: async () => {
        const now = performance.now();
        owed += ((now - lastAt) / 1000) * p.batchesPerS;
        lastAt = now;
        const batches = Math.floor(owed);
        owed -= batches;
        const latency = new Array<number>(LATENCY_BOUNDS_S.length + 1).fill(0);
        latency[p.bucket] = batches * 10;
        return [[{ route: p.route, cluster: p.cluster, byClass: p.batch.map((n) => n * batches), latency }]];
      },
      send: (summary) => proxy.client.reportTraffic(summary),
    });
    cleanup(() => reporter.stop());
  }

  for (const [i, cp] of replicas.entries()) {
    let last: TrafficReport | undefined;
    const report = await until(() => `replica ${i} reports both proxies; last: ${JSON.stringify({ ...last, series: undefined })}`, async () => {
      const res = await fetch(`${cp.apiUrl}/v1/traffic`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
      last = (await res.json()) as TrafficReport;
      // A summary can carry no whole batch when its timer fired early; wait for a window with both.
      return last.proxiesReporting === 2 && last.routes.length === 2 && last.routes.every((r) => r.rps > 0) ? last : undefined;
    }, 20_000);
    assert.deepEqual(report.routes.map((r) => r.route), ['find', 'cart'], 'busiest first');
    assert.deepEqual(report.clusters.map((c) => c.cluster), ['index', 'carts']);
    assert.deepEqual(report.edges.map((e) => `${e.from}->${e.to}`), ['search->index', 'shop->carts']);
    const [find, cart] = report.routes;
    // Whole batches per summary: a window's rate within one batch of the one sent.
    assert.ok(Math.abs(cart!.rps - 10) <= 10 && Math.abs(find!.rps - 20) <= 10, `${cart!.rps} and ${find!.rps} rps`);
    assert.equal(cart!.errorRate, 0);
    assert.equal(find!.errorRate, 0.1);
    assert.ok(Math.abs(report.mesh.rps - cart!.rps - find!.rps) < 0.01);
    const errors = find!.rps * 0.1;
    assert.ok(Math.abs(report.mesh.errorRate - errors / report.mesh.rps) < 0.001, `mesh errorRate ${report.mesh.errorRate}`);
    // About a third of the requests in 10–25 ms, two thirds in 100–250 ms: p99 in the upper bucket.
    assert.ok(cart!.p99Ms > 10 && cart!.p99Ms <= 25, `cart p99 ${cart!.p99Ms}`);
    assert.ok(report.mesh.p99Ms > 100 && report.mesh.p99Ms <= 250, `mesh p99 ${report.mesh.p99Ms}`);
    assert.ok(report.mesh.p50Ms > 10 && report.mesh.p50Ms <= 250, `mesh p50 ${report.mesh.p50Ms}`);
  }
});
