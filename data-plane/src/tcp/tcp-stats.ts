// Counters of the TCP listeners, by listener and cluster: connections by how their upstream connect
// ended, bytes each way, and connections open now. The connection path bumps plain numbers; the
// registry reads them when scraped (as every proxy metric), and the primary sums the workers'.
import type { Registry } from 'prom-client';
import { CollectedMetric } from '../metrics/collected-metric.js';

/**
 * How a TCP connection's upstream side ended up: `success` (an endpoint was connected), or why not:
 * every try failed (`connect_failure`, `connect_timeout` when the last one timed out), the cluster
 * had no endpoint (`no_healthy_upstream`), its circuit breaker refused (`overloaded`), or the client
 * left before an endpoint answered (`downstream_closed`).
 */
export const TCP_RESULTS = ['success', 'connect_failure', 'connect_timeout', 'no_healthy_upstream', 'overloaded', 'downstream_closed'] as const;
export type TcpResult = (typeof TCP_RESULTS)[number];

/** One listener and cluster pair's numbers. */
export class TcpSeries {
  readonly results: Record<TcpResult, number> = { success: 0, connect_failure: 0, connect_timeout: 0, no_healthy_upstream: 0, overloaded: 0, downstream_closed: 0 };
  /** Bytes from the client, sent on to the endpoint. */
  received = 0;
  /** Bytes from the endpoint, sent on to the client. */
  sent = 0;
  active = 0;
  constructor(readonly listener: string, readonly cluster: string) {}
}

export class TcpStats {
  private readonly series = new Map<string, TcpSeries>();

  /** The series of `listener` and `cluster`, made on first use and kept (counters never go down). */
  of(listener: string, cluster: string): TcpSeries {
    const key = `${listener}\u0000${cluster}`;
    let s = this.series.get(key);
    if (s === undefined) this.series.set(key, (s = new TcpSeries(listener, cluster)));
    return s;
  }

  values(): Iterable<TcpSeries> {
    return this.series.values();
  }

  /** Registers the TCP metrics in `registry`. */
  register(registry: Registry): void {
    const all = (): TcpSeries[] => [...this.series.values()];
    new CollectedMetric('sluice_proxy_tcp_connections_total', 'Connections accepted by TCP listeners, by listener, cluster and result: success (piped to an endpoint), connect_failure, connect_timeout, no_healthy_upstream, overloaded (circuit breaker), downstream_closed (the client left first).', 'counter', () =>
      all().flatMap((s) => TCP_RESULTS.map((result) => ({ labels: { listener: s.listener, cluster: s.cluster, result }, value: s.results[result] })).filter((v) => v.value > 0 || v.labels.result === 'success')), registry);
    new CollectedMetric('sluice_proxy_tcp_bytes_total', 'Bytes piped by TCP listeners, by listener, cluster and direction: received (from clients, to endpoints) and sent (from endpoints, to clients).', 'counter', () =>
      all().flatMap((s) => [
        { labels: { listener: s.listener, cluster: s.cluster, direction: 'received' }, value: s.received },
        { labels: { listener: s.listener, cluster: s.cluster, direction: 'sent' }, value: s.sent },
      ]), registry);
    new CollectedMetric('sluice_proxy_tcp_active_connections', 'Connections open now on TCP listeners (piped to an endpoint, or connecting), by listener and cluster.', 'gauge', () =>
      all().map((s) => ({ labels: { listener: s.listener, cluster: s.cluster }, value: s.active })), registry);
  }
}
