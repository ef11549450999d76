// `outlierDetection.disabled: true` turns passive health off; a threshold or ejection setting beside it
// would never act, so each one is reported with its path. The panic threshold still applies.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseResource } from '../../proto/src/model/validate-resource.js';

function errorsOf(doc: unknown): string[] {
  const r = parseResource(doc, 'documents[0]');
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
}

const cluster = (outlierDetection: unknown): unknown => ({ kind: 'Cluster', name: 'api', endpoints: [{ address: '10.0.0.1', port: 80 }], outlierDetection });

test('disabled alone, or with a panic threshold, is valid', () => {
  assert.deepEqual(errorsOf(cluster({ disabled: true })), []);
  assert.deepEqual(errorsOf(cluster({ disabled: true, panicThresholdPercent: 30 })), []);
  assert.deepEqual(errorsOf(cluster({ disabled: false, consecutive5xx: 3 })), []);
});

test('disabled with ejection settings: every one is reported', () => {
  assert.deepEqual(errorsOf(cluster({ disabled: true, consecutive5xx: 3, consecutiveConnectFailures: 1, baseEjectionTimeMs: 1000, maxEjectionPercent: 50 })).sort(), [
    'clusters[api].outlierDetection.baseEjectionTimeMs: must be unset when disabled is true (outlier detection is off)',
    'clusters[api].outlierDetection.consecutive5xx: must be unset when disabled is true (outlier detection is off)',
    'clusters[api].outlierDetection.consecutiveConnectFailures: must be unset when disabled is true (outlier detection is off)',
    'clusters[api].outlierDetection.maxEjectionPercent: must be unset when disabled is true (outlier detection is off)',
  ]);
});
