// Semantic checks of one Cluster.
import { LoadBalancing, type Cluster } from '../../../gen/sluice/v1/cluster_pb.js';
import { fieldPath, type FieldErrors } from '../field-error.js';
import { validateEndpointList } from './endpoint.js';
import { validateHealthCheck } from './health-check.js';
import { checkHeaderName, checkPercent } from './syntax.js';

export function validateCluster(cluster: Cluster, path: string, errors: FieldErrors): void {
  validateEndpointList(cluster.endpoints, fieldPath(path, 'endpoints'), errors);

  if (cluster.healthCheck !== undefined) validateHealthCheck(cluster.healthCheck, cluster.protocol, fieldPath(path, 'healthCheck'), errors);

  const od = cluster.outlierDetection;
  if (od !== undefined) {
    const at = fieldPath(path, 'outlierDetection');
    checkPercent(od.maxEjectionPercent, fieldPath(at, 'maxEjectionPercent'), errors);
    checkPercent(od.panicThresholdPercent, fieldPath(at, 'panicThresholdPercent'), errors);
    if (od.maxEjectionTimeMs > 0 && od.maxEjectionTimeMs < od.baseEjectionTimeMs) {
      errors.add(fieldPath(at, 'maxEjectionTimeMs'), `must be at least baseEjectionTimeMs (${od.baseEjectionTimeMs})`);
    }
    if (od.disabled) {
      // A threshold beside `disabled: true` says the author expects ejections that will never happen.
      for (const field of ['consecutive5xx', 'consecutiveGatewayErrors', 'consecutiveConnectFailures', 'baseEjectionTimeMs', 'maxEjectionTimeMs', 'maxEjectionPercent'] as const) {
        if (od[field] !== 0) errors.add(fieldPath(at, field), 'must be unset when disabled is true (outlier detection is off)');
      }
    }
  }
  if (cluster.circuitBreakers !== undefined) {
    checkPercent(cluster.circuitBreakers.retryBudgetPercent, fieldPath(path, 'circuitBreakers.retryBudgetPercent'), errors);
  }

  const hashed = cluster.loadBalancing === LoadBalancing.RING_HASH || cluster.loadBalancing === LoadBalancing.MAGLEV;
  const key = cluster.hashPolicy?.key;
  if (key !== undefined && !hashed && key.case !== undefined) {
    errors.add(fieldPath(path, 'hashPolicy'), 'applies only to RING_HASH and MAGLEV load balancing');
  }
  if (key?.case === 'header') checkHeaderName(key.value, fieldPath(path, 'hashPolicy.header'), errors);
  if ((key?.case === 'cookie' || key?.case === 'queryParameter') && key.value === '') {
    errors.add(fieldPath(path, `hashPolicy.${key.case}`), 'must not be empty');
  }
}
