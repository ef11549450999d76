// Semantic checks of a Cluster's active health check (its probe and its timings).
import { UpstreamProtocol, type HealthCheck } from '../../../gen/sluice/v1/cluster_pb.js';
import { fieldPath, type FieldErrors } from '../field-error.js';
import { checkAuthority, checkPath } from './syntax.js';

/** `protocol` is the cluster's: the gRPC check needs HTTP/2 to the endpoints. */
export function validateHealthCheck(hc: HealthCheck, protocol: UpstreamProtocol, at: string, errors: FieldErrors): void {
  if (hc.check.case === undefined) errors.add(at, 'one of http, tcp, grpc is required');
  if (hc.check.case === 'http') {
    checkPath(hc.check.value.path, fieldPath(at, 'http.path'), errors);
    hc.check.value.expectedStatuses.forEach((s, i) => {
      if (s < 100 || s > 599) errors.add(`${fieldPath(at, 'http.expectedStatuses')}[${i}]`, `must be between 100 and 599, got ${s}`);
    });
  }
  if (hc.check.case === 'grpc') {
    const grpcAt = fieldPath(at, 'grpc');
    // gRPC runs over HTTP/2 only; an HTTP1 or AUTO cluster says the endpoints may not speak it.
    if (protocol !== UpstreamProtocol.H2C && protocol !== UpstreamProtocol.H2) {
      errors.add(grpcAt, `needs a cluster of protocol H2C or H2 (gRPC runs over HTTP/2), got ${UpstreamProtocol[protocol] ?? protocol}`);
    }
    if (/[\s\p{Cc}]/u.test(hc.check.value.serviceName)) {
      errors.add(fieldPath(grpcAt, 'serviceName'), `must not contain whitespace or control characters, got ${JSON.stringify(hc.check.value.serviceName)}`);
    }
    if (hc.check.value.authority !== '') checkAuthority(hc.check.value.authority, fieldPath(grpcAt, 'authority'), errors);
  }
  if (hc.timeoutMs > 0 && hc.intervalMs > 0 && hc.timeoutMs > hc.intervalMs) {
    errors.add(fieldPath(at, 'timeoutMs'), `must not exceed intervalMs (${hc.intervalMs}), got ${hc.timeoutMs}`);
  }
}
