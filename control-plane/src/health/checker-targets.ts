// Which endpoints the elected control plane checks itself. The rule: an endpoint of a cluster
// that has a health_check, that is not DRAINING, and for which etcd holds no verdict from any replica's
// proxies (an entry under /sluice/health/ whose source is not the checker). Proxies report transitions
// only, but their first verdict on an endpoint is one (UNKNOWN → HEALTHY/UNHEALTHY), and a replica's
// entry goes away when its proxies stop reporting (their streams close, or the replica's lease
// expires). So "no proxy entry" means "no connected proxy checks it": no proxies at all, or none
// that route to this cluster. Every replica sees the same entries, so the rule needs no coordination.
import type { Certificate } from '../../../proto/gen/sluice/v1/certificate_pb.js';
import type { Cluster } from '../../../proto/gen/sluice/v1/cluster_pb.js';
import { endpointWireOf, wireOf, type MeshTls } from '../../../data-plane/src/index.js';
import { Health, type Endpoints } from '../../../proto/gen/sluice/v1/endpoints_pb.js';
import { mergeEndpoints } from '../../../proto/src/model/merge-endpoints.js';
import type { CheckTarget } from './control-plane-checker.js';
import { CHECKER_SOURCE, endpointId, type HealthEntry } from './health-entry.js';

export { CHECKER_SOURCE };

export interface CheckerTargetInputs {
  /** Every Cluster resource. */
  clusters(): readonly Cluster[];
  /** The Endpoints resource named like the cluster, if any. */
  endpoints(cluster: string): Endpoints | undefined;
  /** Sidecars registered for the service named like the cluster. */
  registered(cluster: string): ReadonlyArray<{ address: string; port: number; health: Health; identity?: string }>;
  /** Every health entry in etcd. */
  entries(): readonly HealthEntry[];
  /** Certificate resources by name: a cluster's upstream TLS (CA, client certificate) probes with them. */
  certificate(name: string): Certificate | undefined;
  /** The control plane's mesh certificate: endpoints with an `identity` are probed over mutual TLS. */
  readonly meshTls?: MeshTls | undefined;
}

export function checkerTargets(inputs: CheckerTargetInputs): CheckTarget[] {
  const proxyChecked = new Set<string>();
  const known = new Map<string, Health>();
  for (const e of inputs.entries()) {
    const k = `${e.cluster}/${endpointId(e.address, e.port)}`;
    if (e.source === CHECKER_SOURCE) known.set(k, e.health);
    else proxyChecked.add(k);
  }
  const out: CheckTarget[] = [];
  for (const cluster of inputs.clusters()) {
    const check = cluster.healthCheck;
    if (check === undefined || check.check.case === undefined) continue;
    // The probe speaks to the endpoint as the proxies do: over TLS when the cluster says so (H2, AUTO,
    // tls set), and HTTP/2 for H2C and H2 clusters.
    const clusterWire = wireOf(cluster, (name) => inputs.certificate(name));
    // As on the proxy; registered sidecars come last, at addresses neither lists.
    const candidates = mergeEndpoints(mergeEndpoints(inputs.endpoints(cluster.name)?.endpoints ?? [], cluster.endpoints), inputs.registered(cluster.name));
    for (const ep of candidates) {
      const k = `${cluster.name}/${endpointId(ep.address, ep.port)}`;
      if (ep.health === Health.DRAINING || proxyChecked.has(k)) continue;
      // A mesh endpoint over mutual TLS, as the proxies reach it; not at all before the certificate
      // arrives (a failed handshake would mark a healthy sidecar down).
      const { wire, meshIdentity } = endpointWireOf(cluster, clusterWire, { identity: ep.identity ?? '' }, inputs.meshTls);
      if (meshIdentity !== '' && inputs.meshTls?.identity === undefined) continue;
      const { tls } = wire;
      const http2 = wire.protocol === 'h2c' || wire.protocol === 'h2';
      const target: CheckTarget = { cluster: cluster.name, address: ep.address, port: ep.port, check, ...(tls === undefined ? {} : { tls }), ...(http2 ? { http2 } : {}) };
      const health = known.get(k);
      out.push(health === undefined ? target : { ...target, known: health });
    }
  }
  return out;
}
