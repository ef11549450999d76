// The Prometheus metrics of one proxy process (a worker, or the only process with --workers 1):
// requests by route, cluster and status class, latency histograms, retries, timeouts, errors, downstream
// connections and upstream connections new vs reused. The request path touches plain numbers
// (RequestSeries); the registry reads them when scraped. The primary merges the workers' registries
// (metrics-text.ts), so counters here are per process and the sum is the proxy's.
import { Registry, type MetricObjectWithValues, type MetricValue as PromValue } from 'prom-client';
import type { ProxyError } from '../errors.js';
import type { CompressionCount } from '../filters/compression-stats.js';
import type { Session } from '../proxy/session.js';
import type { CompiledRoute } from '../routing/compiled-route.js';
import type { ClusterState } from '../snapshot/cluster-state.js';
import type { Peer } from '../upstream/peer.js';
import type { CircuitBreaker } from '../upstream/circuit-breaker.js';
import { CollectedMetric, type MetricValue } from './collected-metric.js';
import type { EventLoopDelaySnapshot } from './event-loop-delay.js';
import { RequestSeries, RouteSeries, STATUS_CLASSES } from './request-series.js';
import { TIMEOUT_KINDS, timeoutKindOf } from '../timeout-kinds.js';
import { TrafficDeltas, type SeriesTraffic } from './traffic-deltas.js';

/** What the metrics read at scrape time from the proxy they belong to. */
export interface MetricsSource {
  /** The clusters of the current configuration. */
  clusters(): Iterable<ClusterState>;
  /** Open downstream connections over every listener. */
  downstreamConnections(): Promise<number>;
  /** Client connections the proxy closed itself, by listener and reason (connection-gate.ts). */
  downstreamClosed?(): Iterable<{ listener: string; reason: string; value: number }>;
  /** TLS handshakes on the HTTPS listeners, by listener and session (resumed or full; tls-handshakes.ts). */
  tlsHandshakes?(): Iterable<{ listener: string; session: string; value: number }>;
  /** Every cluster's circuit breaker. */
  breakers?(): Iterable<CircuitBreaker>;
  /** Authorization decisions by policy, action and result (authorization-stats.ts). */
  rbacDecisions?(): Iterable<{ policy: string; action: string; result: string; value: number }>;
  /** Responses compressed by the `compression` filter, by coding, with their bytes (compression-stats.ts). */
  compression?(): Iterable<CompressionCount>;
  /** This process's event loop delay over the last window (event-loop-delay.ts). */
  eventLoopDelay?(): EventLoopDelaySnapshot | undefined;
}

/** Per-endpoint request counts, for /clusters. */
interface EndpointCounts {
  requests: number;
}

type PoolTotals = { created: number; reused: number; failures: number };

export class ProxyMetrics {
  readonly registry = new Registry();
  private readonly series = new Map<string, RequestSeries>();
  /** Series by route object: a route object lives as long as its snapshot, then is dropped. */
  private readonly byRoute = new WeakMap<CompiledRoute, RouteSeries>();
  /** Requests that matched no route (or found no configuration). */
  private readonly unrouted: RequestSeries;
  private readonly errors = new Map<string, number>();
  private readonly endpoints = new WeakMap<Peer, EndpointCounts>();
  /** Pool counts of endpoints removed from the configuration, by cluster: counters never go down. */
  private readonly retiredPools = new Map<string, PoolTotals>();
  private readonly retired = new WeakSet<Peer>();
  /** Outlier ejections by cluster. */
  private readonly ejections = new Map<string, number>();
  private readonly trafficDeltas = new TrafficDeltas();

  constructor(private readonly source: MetricsSource) {
    this.unrouted = this.lookup('', '');
    const r = this.registry;
    const all = (): RequestSeries[] => [...this.series.values()];
    new CollectedMetric('sluice_proxy_requests_total', 'Requests by route, cluster and status class (none: no response was sent).', 'counter', () =>
      all().flatMap((s) => s.byClass.map((n, i) => ({ labels: { route: s.route, cluster: s.cluster, status_class: STATUS_CLASSES[i]! }, value: n })).filter((v) => v.value > 0)), r);
    new CollectedMetric('sluice_proxy_request_duration_seconds', 'Downstream latency: from the request head to the end of the response.', 'histogram', () =>
      all().flatMap((s) => s.downstream.values('sluice_proxy_request_duration_seconds', { route: s.route, cluster: s.cluster })), r);
    new CollectedMetric('sluice_proxy_upstream_duration_seconds', 'Upstream latency: from picking the endpoint of the answering try to its response head.', 'histogram', () =>
      all().filter((s) => s.cluster !== '').flatMap((s) => s.upstream.values('sluice_proxy_upstream_duration_seconds', { route: s.route, cluster: s.cluster })), r);
    new CollectedMetric('sluice_proxy_retries_total', 'Upstream tries after the first, by route and cluster.', 'counter', () =>
      all().filter((s) => s.retries > 0).map((s) => ({ labels: { route: s.route, cluster: s.cluster }, value: s.retries })), r);
    // Zero series for every kind of every pair with a cluster, so that a rate exists before the first
    // timeout; the pair with no route and no cluster shows only the kinds that happened.
    new CollectedMetric('sluice_proxy_timeouts_total', 'Requests that ended in a timeout, by route, cluster and kind: connect (connectTimeoutMs), upstream (timeoutMs, retry.perTryTimeoutMs), client (the client paused inside its request body).', 'counter', () =>
      all().flatMap((s) => TIMEOUT_KINDS.map((kind) => ({ labels: { route: s.route, cluster: s.cluster, kind }, value: s.timeouts[kind] })).filter((v) => v.value > 0 || s.cluster !== '')), r);
    new CollectedMetric('sluice_proxy_errors_total', 'Requests that ended in a proxy error, by error code.', 'counter', () =>
      [...this.errors].map(([code, n]) => ({ labels: { code }, value: n })), r);
    new CollectedMetric('sluice_proxy_downstream_connections_active', 'Open client connections over every listener.', 'gauge', async () => [{ labels: {}, value: await this.source.downstreamConnections() }], r);
    new CollectedMetric('sluice_proxy_downstream_connections_closed_total', 'Client connections the proxy closed itself, by listener and reason: header_timeout, reclaimed (to admit a new one at the cap), refused (at the cap, nothing to reclaim), mtls_required (plain text or no mesh certificate on a STRICT inbound listener).', 'counter', () =>
      [...(this.source.downstreamClosed?.() ?? [])].map((c) => ({ labels: { listener: c.listener, reason: c.reason }, value: c.value })), r);
    new CollectedMetric('sluice_proxy_tls_handshakes_total', 'TLS handshakes completed on HTTPS listeners, by listener and session: resumed (a session ticket) or full.', 'counter', () =>
      [...(this.source.tlsHandshakes?.() ?? [])].map((h) => ({ labels: { listener: h.listener, session: h.session }, value: h.value })), r);
    new CollectedMetric('sluice_proxy_upstream_connections_total', 'Upstream connections by cluster: new (opened) and reused (taken from the pool).', 'counter', () => this.poolValues(), r);
    new CollectedMetric('sluice_proxy_upstream_connect_failures_total', 'Upstream connect attempts that failed or timed out, by cluster.', 'counter', () => this.connectFailureValues(), r);
    new CollectedMetric('sluice_proxy_rbac_decisions_total', 'Authorization decisions on guarded listeners, by deciding policy, its action and result: allowed, denied, or would_deny (a dry-run policy would have denied; the request went on).', 'counter', () =>
      [...(this.source.rbacDecisions?.() ?? [])].map((d) => ({ labels: { policy: d.policy, action: d.action, result: d.result }, value: d.value })), r);
    const compressed = (): CompressionCount[] => [...(this.source.compression?.() ?? [])];
    new CollectedMetric('sluice_proxy_compressed_responses_total', 'Responses the compression filter compressed, by coding (gzip, br, zstd).', 'counter', () =>
      compressed().map((c) => ({ labels: { encoding: c.encoding }, value: c.responses })), r);
    new CollectedMetric('sluice_proxy_compression_uncompressed_bytes_total', 'Response body bytes the compression filter took in from upstreams, by coding.', 'counter', () =>
      compressed().map((c) => ({ labels: { encoding: c.encoding }, value: c.uncompressedBytes })), r);
    new CollectedMetric('sluice_proxy_compression_compressed_bytes_total', 'Response body bytes the compression filter sent to clients, by coding.', 'counter', () =>
      compressed().map((c) => ({ labels: { encoding: c.encoding }, value: c.compressedBytes })), r);
    const breakers = (): CircuitBreaker[] => [...(this.source.breakers?.() ?? [])];
    new CollectedMetric('sluice_proxy_circuit_breaker_trips_total', 'Requests and connections refused by a circuit breaker, by cluster and limit.', 'counter', () =>
      breakers().flatMap((b) => (['max_connections', 'max_pending_requests', 'max_requests'] as const).map((limit) => ({ labels: { cluster: b.cluster, limit }, value: b.trips[limit] }))), r);
    new CollectedMetric('sluice_proxy_retries_refused_total', 'Retries refused by max_retries or the retry budget (the failure went to the client), by cluster.', 'counter', () =>
      breakers().flatMap((b) => (['max_retries', 'retry_budget'] as const).map((limit) => ({ labels: { cluster: b.cluster, limit }, value: b.trips[limit] }))), r);
    new CollectedMetric('sluice_proxy_circuit_breaker_in_use', 'What the circuit breakers count now, by cluster and resource (connections, pending, requests, retries).', 'gauge', () =>
      breakers().flatMap((b) => [
        { labels: { cluster: b.cluster, resource: 'connections' }, value: b.connections },
        { labels: { cluster: b.cluster, resource: 'pending' }, value: b.pending },
        { labels: { cluster: b.cluster, resource: 'requests' }, value: b.requests },
        { labels: { cluster: b.cluster, resource: 'retries' }, value: b.retries },
      ]), r);
    // The worst worker's, quantile by quantile: a sum of delays would describe no loop at all.
    new CollectedMetric('sluice_proxy_event_loop_delay_seconds', 'How late the event loop ran over the last 10 s, by quantile (0.5, 0.99, 1 for the longest): time every request arriving meanwhile waited; with workers, the highest worker\'s.', 'gauge', () => {
      const d = this.source.eventLoopDelay?.();
      return d === undefined ? [] : [{ labels: { quantile: '0.5' }, value: d.p50 }, { labels: { quantile: '0.99' }, value: d.p99 }, { labels: { quantile: '1' }, value: d.max }];
    }, r, 'max');
    new CollectedMetric('sluice_proxy_outlier_ejections_total', 'Endpoints ejected by outlier detection, by cluster.', 'counter', () =>
      [...this.ejections].map(([cluster, n]) => ({ labels: { cluster }, value: n })), r);
    new CollectedMetric('sluice_proxy_outlier_ejected_endpoints', 'Endpoints ejected by outlier detection now, by cluster (summed over workers: each holds every ejection of the proxy).', 'gauge', () =>
      [...this.source.clusters()].filter((c) => c.outlier !== undefined).map((c) => ({ labels: { cluster: c.name }, value: c.peers.reduce((n, p) => n + (p.ejected ? 1 : 0), 0) })), r);
  }

  /** Records one finished request (from the `logging` phase). `upstreamSeconds` < 0: no upstream answered. */
  record(session: Session, error: ProxyError | undefined, route: CompiledRoute | undefined, cluster: ClusterState | undefined, upstreamSeconds: number): void {
    const s = route === undefined ? this.unrouted : this.routeSeries(route).forCluster(cluster === undefined ? '' : cluster.name);
    const status = session.status;
    s.byClass[status >= 500 ? 5 : status < 100 ? 0 : (status / 100) | 0]!++;
    s.retries += session.attempt;
    s.downstream.observe(session.elapsedMs() / 1000);
    if (upstreamSeconds >= 0) s.upstream.observe(upstreamSeconds);
    if (error !== undefined) {
      this.errors.set(error.code, (this.errors.get(error.code) ?? 0) + 1);
      const timeout = timeoutKindOf(error.code);
      if (timeout !== undefined) s.timeouts[timeout]++;
    }
    const tried = session.triedPeers;
    if (tried.length > 0) {
      const peer = tried[tried.length - 1]!;
      const e = this.endpoints.get(peer);
      if (e === undefined) this.endpoints.set(peer, { requests: 1 });
      else e.requests++;
    }
  }

  /** Outlier detection ejected an endpoint of `cluster` (or let one back: not counted). */
  outlierChanged(cluster: string, ejected: boolean): void {
    if (ejected) this.ejections.set(cluster, (this.ejections.get(cluster) ?? 0) + 1);
  }

  /** Requests answered by an endpoint (its last try), for /clusters. */
  endpointRequests(peer: Peer): number {
    return this.endpoints.get(peer)?.requests ?? 0;
  }

  /** Endpoints leaving the configuration: their pool counts stay in the cluster's totals. */
  retire(cluster: string, peers: Iterable<Peer>): void {
    for (const p of peers) {
      if (this.retired.has(p)) continue;
      this.retired.add(p);
      const t = this.retiredPools.get(cluster) ?? { created: 0, reused: 0, failures: 0 };
      t.created += p.pool.stats.created;
      t.reused += p.pool.stats.reused;
      t.failures += p.pool.stats.connectFailures;
      this.retiredPools.set(cluster, t);
    }
  }

  /** What each (route, cluster) pair served since the previous call, for traffic summaries (traffic-deltas.ts). */
  takeTraffic(): SeriesTraffic[] {
    return this.trafficDeltas.take(this.series.values());
  }

  /** This process's metrics, for the primary to merge with the other workers'. */
  json(): Promise<MetricObjectWithValues<PromValue<string>>[]> {
    return this.registry.getMetricsAsJSON();
  }

  private routeSeries(route: CompiledRoute): RouteSeries {
    let r = this.byRoute.get(route);
    if (r === undefined) this.byRoute.set(route, (r = new RouteSeries(route.name, (name, cluster) => this.lookup(name, cluster))));
    return r;
  }

  private lookup(route: string, cluster: string): RequestSeries {
    const key = `${route}\u0000${cluster}`;
    let s = this.series.get(key);
    if (s === undefined) this.series.set(key, (s = new RequestSeries(route, cluster)));
    return s;
  }

  private poolTotals(): Map<string, PoolTotals> {
    const totals = new Map<string, PoolTotals>();
    for (const [name, t] of this.retiredPools) totals.set(name, { ...t });
    for (const c of this.source.clusters()) {
      const t = totals.get(c.name) ?? { created: 0, reused: 0, failures: 0 };
      for (const p of c.peers) {
        if (this.retired.has(p)) continue;
        t.created += p.pool.stats.created;
        t.reused += p.pool.stats.reused;
        t.failures += p.pool.stats.connectFailures;
      }
      totals.set(c.name, t);
    }
    return totals;
  }

  private poolValues(): MetricValue[] {
    return [...this.poolTotals()].flatMap(([cluster, t]) => [
      { labels: { cluster, kind: 'new' }, value: t.created },
      { labels: { cluster, kind: 'reused' }, value: t.reused },
    ]);
  }

  private connectFailureValues(): MetricValue[] {
    return [...this.poolTotals()].map(([cluster, t]) => ({ labels: { cluster }, value: t.failures }));
  }
}
