// The Endpoints a proxy receives for one cluster: the stored Endpoints resource, plus the
// inline cluster endpoints that have a health verdict, plus the sidecars registered for the service of
// the same name (only when that Cluster exists), with the effective health from etcd laid over them.
// Deterministic (same input, same order, same bytes), so its version hash is equal on every replica
// and changes only when the content does.
import { create } from '@bufbuild/protobuf';
import type { Cluster } from '../../../proto/gen/sluice/v1/cluster_pb.js';
import { EndpointsSchema, Health, type Endpoint, type Endpoints } from '../../../proto/gen/sluice/v1/endpoints_pb.js';
import { formatHostPort } from '../../../proto/src/model/host-port.js';
import { mergeEndpoints } from '../../../proto/src/model/merge-endpoints.js';

export interface RegisteredEndpoint {
  readonly address: string;
  readonly port: number;
  readonly zone: string;
  readonly health: Health;
  /** The SPIFFE ID of the workload that registered it ('' when unknown): sidecars reach it with mutual TLS. */
  readonly identity?: string;
}

/** Health and registrations kept outside the resources (control-plane/src/health/health-view.ts). */
export interface EndpointOverlay {
  /** Clusters that have health verdicts or registrations: their Endpoints are rebuilt. */
  clusters(): ReadonlySet<string>;
  /** Effective health by `address:port` (endpointId). */
  effectiveHealth(cluster: string): ReadonlyMap<string, Health>;
  /** Registered endpoints of the service named like the cluster, in a stable order. */
  registered(cluster: string): readonly RegisteredEndpoint[];
  /** Called with the clusters whose overlay changed; returns the unsubscribe function. */
  onChange(listener: (clusters: ReadonlySet<string>) => void): () => void;
}

/** DRAINING set by an operator or by the endpoint itself is kept; otherwise the verdict wins. */
function overlaid(e: Endpoint, verdict: Health | undefined): Endpoint {
  if (verdict === undefined || e.health === Health.DRAINING || e.health === verdict) return e;
  return { ...e, health: verdict };
}

/** The Endpoints to send for `name`; undefined when there is nothing to send. */
export function effectiveEndpoints(name: string, stored: Endpoints | undefined, cluster: Cluster | undefined, overlay: EndpointOverlay): Endpoints | undefined {
  if (!overlay.clusters().has(name)) return stored;
  const health = overlay.effectiveHealth(name);
  // Inline endpoints appear here only to carry a verdict (on the proxy this entry then wins).
  const withVerdict = (cluster?.endpoints ?? []).filter((e) => health.has(formatHostPort(e.address, e.port)));
  const listed = mergeEndpoints(stored?.endpoints ?? [], withVerdict);
  const out: Endpoint[] = listed.map((e) => overlaid(e, health.get(formatHostPort(e.address, e.port))));
  const seen = new Set(listed.map((e) => formatHostPort(e.address, e.port)));
  if (cluster !== undefined) {
    for (const r of overlay.registered(name)) {
      const k = formatHostPort(r.address, r.port);
      if (seen.has(k)) continue;
      seen.add(k);
      const verdict = r.health === Health.DRAINING ? Health.DRAINING : (health.get(k) ?? r.health);
      out.push(create(EndpointsSchema, { endpoints: [{ address: r.address, port: r.port, zone: r.zone, health: verdict, identity: r.identity ?? '' }] }).endpoints[0]!);
    }
  }
  if (stored === undefined && out.length === 0) return undefined;
  return create(EndpointsSchema, { name, endpoints: out });
}
