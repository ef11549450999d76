// A HealthCheck resource field with its defaults filled in. proto3 cannot tell 0 from unset, so 0
// means the default (docs/data-plane.md, "Active health checks").
import type { HealthCheck } from '../../../../proto/gen/sluice/v1/cluster_pb.js';

import { DEFAULT_PROBE_TIMEOUT_MS } from './probe.js';
import { Health } from '../../../../proto/src/model/enums.js';

export interface HealthCheckSettings {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly unhealthyThreshold: number;
  readonly healthyThreshold: number;
  readonly jitterMs: number;
  /** UNKNOWN (takes traffic until a check says otherwise) or UNHEALTHY (waits for healthy_threshold passes). */
  readonly initialHealth: Health;
}

/**
 * Envoy requires interval, timeout and both thresholds; these are the values its docs use as examples
 * and Kubernetes probes default to (timeout 1s, 3 failures): unhealthy after 3 failed probes, healthy
 * after 2 passes, one probe per 5 seconds per endpoint, no jitter.
 */
export const HEALTH_CHECK_DEFAULTS: HealthCheckSettings = Object.freeze({
  intervalMs: 5000,
  timeoutMs: DEFAULT_PROBE_TIMEOUT_MS,
  unhealthyThreshold: 3,
  healthyThreshold: 2,
  jitterMs: 0,
  initialHealth: Health.UNKNOWN,
});

export function healthCheckSettingsOf(check: HealthCheck): HealthCheckSettings {
  return {
    intervalMs: check.intervalMs || HEALTH_CHECK_DEFAULTS.intervalMs,
    timeoutMs: check.timeoutMs || HEALTH_CHECK_DEFAULTS.timeoutMs,
    unhealthyThreshold: check.unhealthyThreshold || HEALTH_CHECK_DEFAULTS.unhealthyThreshold,
    healthyThreshold: check.healthyThreshold || HEALTH_CHECK_DEFAULTS.healthyThreshold,
    jitterMs: check.jitterMs,
    // HEALTHY or DRAINING as a start would mean "trust it blindly": treated as UNKNOWN.
    initialHealth: check.initialHealth === Health.UNHEALTHY ? Health.UNHEALTHY : Health.UNKNOWN,
  };
}

/** The delay before an endpoint's next probe: the interval plus up to jitter_ms, uniformly. */
export function nextProbeDelayMs(settings: HealthCheckSettings, random: () => number = Math.random): number {
  return settings.intervalMs + Math.floor(random() * (settings.jitterMs + 1));
}

/** Consecutive probe outcomes of one endpoint. */
export interface ProbeStreak {
  passes: number;
  failures: number;
}

/**
 * Counts one probe (Envoy's thresholds: healthy_threshold consecutive passes make an endpoint
 * HEALTHY, unhealthy_threshold consecutive failures UNHEALTHY). Returns the health the streak
 * reaches with this probe, undefined while neither threshold is reached. Both checkers (the
 * proxy's and the control plane's) count with it, so they agree on what a threshold means.
 */
export function countProbe(streak: ProbeStreak, healthy: boolean, settings: Pick<HealthCheckSettings, 'healthyThreshold' | 'unhealthyThreshold'>): Health | undefined {
  if (healthy) {
    streak.failures = 0;
    streak.passes++;
    return streak.passes >= settings.healthyThreshold ? Health.HEALTHY : undefined;
  }
  streak.passes = 0;
  streak.failures++;
  return streak.failures >= settings.unhealthyThreshold ? Health.UNHEALTHY : undefined;
}
