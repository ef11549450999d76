// The arithmetic of health checks and outlier detection settings: unset fields take the documented
// defaults and the probe delay stays within [interval, interval + jitter].
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { HealthCheckSchema, OutlierDetectionSchema } from '../../../proto/gen/sluice/v1/cluster_pb.js';
import { Health } from '../../../proto/gen/sluice/v1/endpoints_pb.js';
import { HEALTH_CHECK_DEFAULTS, healthCheckSettingsOf, nextProbeDelayMs } from '../../../data-plane/src/upstream/health/health-check-settings.js';
import { OUTLIER_DEFAULTS, outlierSettingsOf } from '../../../data-plane/src/upstream/health/outlier-detector.js';

test('unset health check fields take the defaults; HEALTHY/DRAINING initial health counts as UNKNOWN', () => {
  const s = healthCheckSettingsOf(create(HealthCheckSchema, { check: { case: 'tcp', value: {} } }));
  assert.deepEqual(s, { ...HEALTH_CHECK_DEFAULTS });
  assert.deepEqual(HEALTH_CHECK_DEFAULTS, { intervalMs: 5000, timeoutMs: 1000, unhealthyThreshold: 3, healthyThreshold: 2, jitterMs: 0, initialHealth: Health.UNKNOWN });
  assert.equal(healthCheckSettingsOf(create(HealthCheckSchema, { initialHealth: Health.HEALTHY })).initialHealth, Health.UNKNOWN);
  assert.equal(healthCheckSettingsOf(create(HealthCheckSchema, { initialHealth: Health.UNHEALTHY })).initialHealth, Health.UNHEALTHY);
});

test('probe delay: interval at random 0, interval + jitter at random just under 1, never outside', () => {
  const s = healthCheckSettingsOf(create(HealthCheckSchema, { intervalMs: 1000, jitterMs: 250 }));
  assert.equal(nextProbeDelayMs(s, () => 0), 1000);
  assert.equal(nextProbeDelayMs(s, () => 0.999999), 1250);
  for (let i = 0; i < 10_000; i++) {
    const d = nextProbeDelayMs(s);
    assert.ok(d >= 1000 && d <= 1250, `delay ${d}`);
  }
  assert.equal(nextProbeDelayMs(healthCheckSettingsOf(create(HealthCheckSchema, { intervalMs: 70 })), () => 0.9), 70, 'no jitter without jitter_ms');
});

test('outlier detection is on with Envoy\'s defaults, unset or empty; disabled turns it off; the cap is never below the base time', () => {
  assert.deepEqual(outlierSettingsOf(create(OutlierDetectionSchema, {})), { ...OUTLIER_DEFAULTS });
  assert.deepEqual(outlierSettingsOf(undefined), { ...OUTLIER_DEFAULTS }, 'a cluster without outlierDetection gets the defaults');
  assert.equal(outlierSettingsOf(create(OutlierDetectionSchema, { disabled: true })), undefined);
  assert.deepEqual(OUTLIER_DEFAULTS, { consecutive5xx: 5, consecutiveGatewayErrors: 5, consecutiveConnectFailures: 5, baseEjectionTimeMs: 30_000, maxEjectionTimeMs: 300_000, maxEjectionPercent: 10 });
  assert.equal(outlierSettingsOf(create(OutlierDetectionSchema, { baseEjectionTimeMs: 400_000 }))!.maxEjectionTimeMs, 400_000);
});
