// The admin /clusters view: every cluster's endpoints with their health and traffic. Each process
// reports its own; the primary sums the workers' reports endpoint by endpoint.
import type { ClusterState } from '../snapshot/cluster-state.js';
import type { ProxyMetrics } from './proxy-metrics.js';

export interface EndpointReport {
  address: string;
  port: number;
  zone: string;
  weight: number;
  /** False when the Endpoints resource says UNHEALTHY or DRAINING: the balancer skips it. */
  healthy: boolean;
  /** Requests whose last try went to this endpoint. */
  requests: number;
  /** Requests in flight to it now. */
  active: number;
  pool: { created: number; reused: number; connectFailures: number; idle: number; active: number };
}

export interface ClusterReport {
  name: string;
  endpoints: EndpointReport[];
}

export function clusterReports(clusters: Iterable<ClusterState>, metrics: ProxyMetrics): ClusterReport[] {
  return [...clusters].map((c) => ({
    name: c.name,
    endpoints: c.peers.map((p) => {
      const s = p.pool.getStats();
      return {
        address: p.host,
        port: p.port,
        zone: p.zone,
        weight: p.weight,
        healthy: p.available,
        requests: metrics.endpointRequests(p),
        active: p.inflight,
        pool: { created: s.created, reused: s.reused, connectFailures: s.connectFailures, idle: s.idle, active: s.active },
      };
    }),
  }));
}

/** Sums per-worker reports; an endpoint is healthy when every worker that knows it says so. */
export function mergeClusterReports(parts: readonly ClusterReport[][]): ClusterReport[] {
  const byName = new Map<string, ClusterReport>();
  for (const part of parts) {
    for (const c of part) {
      const into = byName.get(c.name) ?? { name: c.name, endpoints: [] };
      byName.set(c.name, into);
      for (const e of c.endpoints) {
        const same = into.endpoints.find((x) => x.address === e.address && x.port === e.port);
        if (same === undefined) {
          into.endpoints.push({ ...e, pool: { ...e.pool } });
          continue;
        }
        same.healthy &&= e.healthy;
        same.requests += e.requests;
        same.active += e.active;
        for (const k of Object.keys(same.pool) as (keyof EndpointReport['pool'])[]) same.pool[k] += e.pool[k];
      }
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}
