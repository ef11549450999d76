// Metrics of the process that runs the active health checks (the primary with --workers N): probes by
// result and health transitions. Added to the proxy's /metrics page beside the workers' series.
import { Counter, Registry } from 'prom-client';

import type { HealthTransition } from './active-health-checker.js';
import { Health } from '../../../../proto/src/model/enums.js';

export class HealthCheckMetrics {
  readonly registry = new Registry();
  private readonly checks: Counter<'cluster' | 'result'>;
  private readonly transitions: Counter<'cluster' | 'health'>;

  constructor() {
    this.checks = new Counter({
      name: 'sluice_proxy_health_checks_total',
      help: 'Active health probes by cluster and result (healthy, unhealthy).',
      labelNames: ['cluster', 'result'],
      registers: [this.registry],
    });
    this.transitions = new Counter({
      name: 'sluice_proxy_health_transitions_total',
      help: 'Endpoint health decided by active checks, by cluster and new health (HEALTHY, UNHEALTHY; UNKNOWN: no longer checked).',
      labelNames: ['cluster', 'health'],
      registers: [this.registry],
    });
  }

  probed(cluster: string, healthy: boolean): void {
    this.checks.inc({ cluster, result: healthy ? 'healthy' : 'unhealthy' });
  }

  transitioned(transitions: readonly HealthTransition[]): void {
    for (const t of transitions) if (t.cause !== 'initial') this.transitions.inc({ cluster: t.cluster, health: Health[t.health] ?? String(t.health) });
  }
}
