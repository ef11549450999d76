// Where a proxy's active health checks go: the one checker of the proxy process, its
// transitions passed to the serving code (this process's MeshProxy, or every worker) and reported to
// the control plane on the discovery stream, and its metrics.
import type { ResourceSet } from '../../../../proto/src/model/resource-set.js';
import type { DiscoveryClient } from '../../discovery/discovery-client.js';
import { ActiveHealthChecker, type HealthTransition } from './active-health-checker.js';
import { HealthCheckMetrics } from './health-check-metrics.js';
import type { MeshTls } from '../../identity/mesh-tls.js';

export interface ProxyHealthChecks {
  readonly metrics: HealthCheckMetrics;
  /** Follows an applied configuration (call after every successful apply). */
  update(set: ResourceSet): void;
  /** Reports to the control plane from now on, starting with every endpoint decided so far. */
  reportTo(client: DiscoveryClient): void;
  stop(): void;
}

/** `serve` gets every transition (initial health included) for the processes that serve traffic. */
export function startProxyHealthChecks(serve: (transitions: readonly HealthTransition[]) => void, meshTls?: MeshTls): ProxyHealthChecks {
  const metrics = new HealthCheckMetrics();
  let client: DiscoveryClient | undefined;
  // The control plane hears what probes decided and what is no longer checked, never an initial
  // health no probe confirmed (that would mark a new endpoint down fleet-wide before any check).
  const report = (ts: readonly HealthTransition[]): void => {
    const decided = ts.filter((t) => t.cause !== 'initial').map(({ cluster, address, port, health, reason }) => ({ cluster, address, port, health, reason }));
    if (decided.length > 0) client?.reportHealth(decided);
  };
  const checker = new ActiveHealthChecker({
    ...(meshTls === undefined ? {} : { meshTls }),
    onProbe: (cluster, healthy) => metrics.probed(cluster, healthy),
    onTransitions: (ts) => {
      metrics.transitioned(ts);
      serve(ts);
      report(ts);
    },
  });
  return {
    metrics,
    update: (set) => checker.update(set),
    reportTo: (c) => {
      client = c;
      report(checker.states().filter((s) => s.cause === 'probe'));
    },
    stop: () => checker.stop(),
  };
}
