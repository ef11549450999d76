// The admin /clusters view: every cluster's endpoints with their health and traffic. Each process
// reports its own; the primary sums the workers' reports endpoint by endpoint.

import type { ClusterState } from '../snapshot/cluster-state.js';
import type { ProxyMetrics } from './proxy-metrics.js';
import { Health } from '../../../proto/src/model/enums.js';

export interface EndpointReport {
  address: string;
  port: number;
  zone: string;
  weight: number;
  /** Takes traffic: the pushed health, the local active check and outlier detection all allow it (every worker agrees). */
  healthy: boolean;
  /** Processes (workers) in which the endpoint takes traffic now; 0: no traffic goes to it at all. */
  serving: number;
  /** The Endpoints resource's health (the control plane's aggregate): UNKNOWN, HEALTHY, UNHEALTHY, DRAINING. */
  health: string;
  /** This proxy's active check: UNKNOWN (no check or undecided), HEALTHY or UNHEALTHY, and why. */
  activeHealth: string;
  activeReason: string;
  /** Worker processes that have the endpoint ejected by outlier detection now (0 or 1 with one process). */
  ejected: number;
  /** Ejections so far, summed over workers, and the reason of the last one. */
  ejections: number;
  ejectReason: string;
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
        serving: p.available ? 1 : 0,
        health: Health[p.pushedHealth] ?? String(p.pushedHealth),
        activeHealth: Health[p.activeHealth] ?? String(p.activeHealth),
        activeReason: p.activeReason,
        ejected: p.ejected ? 1 : 0,
        ejections: p.outlier?.ejections ?? 0,
        ejectReason: p.outlier?.reason ?? '',
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
        same.serving += e.serving;
        same.ejected += e.ejected;
        same.ejections += e.ejections;
        if (e.ejectReason !== '') same.ejectReason = e.ejectReason;
        same.requests += e.requests;
        same.active += e.active;
        for (const k of Object.keys(same.pool) as (keyof EndpointReport['pool'])[]) same.pool[k] += e.pool[k];
      }
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}
