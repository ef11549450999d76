// What the chaos run sets on top of the scenario's resources: what an operator sets so that one dead
// endpoint costs no request. Routes retry on connect failures and resets (the proxy only retries
// idempotent requests, RFC 9110 §9.2.2, and the run's traffic to the killed endpoint is GETs);
// the HTTP/1.1 clusters eject an endpoint after consecutive connect failures (outlier detection, as
// Envoy's consecutive_local_origin_failure) and check it actively, so it takes traffic again once it
// answers. The changes the run sends through the API keep these settings (ChangeDriver's `decorate`).
import type { Resource } from '../e2e/scenario/scenario-resources.js';

/** The clusters whose endpoints are processes the run may kill. */
export const KILLABLE_CLUSTERS: ReadonlySet<string> = new Set(['web-a', 'web-b', 'pool']);

export const ROUTE_RETRY = { attempts: 2, on: ['CONNECT_FAILURE', 'RESET'] } as const;

export const CLUSTER_RESILIENCE = {
  connectTimeoutMs: 1000,
  healthCheck: { http: { path: '/health' }, intervalMs: 500, timeoutMs: 250, unhealthyThreshold: 2, healthyThreshold: 2 },
  outlierDetection: { consecutiveConnectFailures: 2, consecutiveGatewayErrors: 3, baseEjectionTimeMs: 2000, maxEjectionPercent: 50 },
} as const;

export function resilient(resource: Resource): Resource {
  if (resource.kind === 'Route') return { ...resource, retry: ROUTE_RETRY };
  if (resource.kind === 'Cluster' && KILLABLE_CLUSTERS.has(resource.name)) return { ...resource, ...CLUSTER_RESILIENCE };
  return resource;
}
