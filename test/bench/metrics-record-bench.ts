// Micro-benchmark of what the `logging` phase costs per request for metrics: ProxyMetrics.record
// (plain-number series, read at scrape time) against the same metrics kept with prom-client's own
// Counter and Histograms, by label object and by labels() child (which hashes its labels on every
// call too). Prints ns per request, medians of 5 runs.
//   node dist/test/bench/metrics-record-bench.js [--requests 1000000]
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Counter, Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS_S } from '../../data-plane/src/metrics/latency-histogram.js';
import { ProxyMetrics } from '../../data-plane/src/metrics/proxy-metrics.js';
import type { Session } from '../../data-plane/src/proxy/session.js';
import type { CompiledRoute } from '../../data-plane/src/routing/compiled-route.js';
import type { ClusterState } from '../../data-plane/src/snapshot/cluster-state.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '1000000' } } });
const N = Number(values.requests);

const peer = { key: '127.0.0.1:8080' };
const session = { status: 200, attempt: 0, triedPeers: [peer], elapsedMs: () => 0.8 } as unknown as Session;
const routes = ['checkout', 'cart', 'search', 'static'].map((name) => ({ name }) as unknown as CompiledRoute);
const cluster = { name: 'backend', peers: [] } as unknown as ClusterState;

function measure(name: string, run: (i: number) => void): number {
  const samples: number[] = [];
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now();
    for (let i = 0; i < N; i++) run(i);
    samples.push(((performance.now() - t0) * 1e6) / N);
  }
  samples.sort((a, b) => a - b);
  const ns = samples[2]!;
  console.log(`| ${name} | ${ns.toFixed(0)} |`);
  return ns;
}

const metrics = new ProxyMetrics({ clusters: () => [], downstreamConnections: async () => 0 });
const registry = new Registry();
const requests = new Counter({ name: 'r', help: 'r', labelNames: ['route', 'cluster', 'status_class'], registers: [registry] });
const down = new Histogram({ name: 'd', help: 'd', labelNames: ['route', 'cluster'], buckets: [...LATENCY_BUCKETS_S], registers: [registry] });
const up = new Histogram({ name: 'u', help: 'u', labelNames: ['route', 'cluster'], buckets: [...LATENCY_BUCKETS_S], registers: [registry] });
const children = routes.map((r) => ({
  requests: requests.labels(r.name, 'backend', '2xx'),
  down: down.labels(r.name, 'backend'),
  up: up.labels(r.name, 'backend'),
}));

console.log(`${N} requests over ${routes.length} routes; ns per request (median of 5)\n`);
console.log('| recording | ns/request |');
console.log('| --- | --: |');
measure('ProxyMetrics.record (plain-number series)', (i) => metrics.record(session, undefined, routes[i & 3], cluster, 0.0005));
measure('prom-client, label objects', (i) => {
  const labels = { route: routes[i & 3]!.name, cluster: 'backend' };
  requests.inc({ ...labels, status_class: '2xx' });
  down.observe(labels, 0.0008);
  up.observe(labels, 0.0005);
});
measure('prom-client, labels() children made once', (i) => {
  const c = children[i & 3]!;
  c.requests.inc();
  c.down.observe(0.0008);
  c.up.observe(0.0005);
});
