// How the proxy talks to a cluster's endpoints: the wire protocol and the TLS settings, from the
// Cluster resource and the Certificate resources it names. The pools use it, and so do both health
// checkers (the proxy's and the control plane's), so a probe reaches an endpoint the way traffic does.
import type { ConnectionOptions } from 'node:tls';
import type { Certificate } from '../../../proto/gen/sluice/v1/certificate_pb.js';
import type { Cluster } from '../../../proto/gen/sluice/v1/cluster_pb.js';
import type { Endpoint } from '../../../proto/gen/sluice/v1/endpoints_pb.js';
import type { MeshTls } from '../identity/mesh-tls.js';
import { UpstreamProtocol } from '../../../proto/src/model/enums.js';

export type CertificateLookup = (name: string) => Certificate | undefined;

/**
 * The wire protocol to the cluster's endpoints and its TLS. H2 and AUTO (ALPN h2 or http/1.1) are
 * always over TLS; HTTP1 is over TLS when `tls` is set.
 */
export function wireOf(cluster: Cluster, certificates: CertificateLookup): { protocol: 'http1' | 'h2c' | 'h2' | 'auto'; maxConcurrentStreams: number; tls?: ConnectionOptions } {
  const maxConcurrentStreams = cluster.pool?.maxConcurrentStreams || 0;
  const t = cluster.tls;
  let tls: ConnectionOptions | undefined;
  if (t !== undefined || cluster.protocol === UpstreamProtocol.H2 || cluster.protocol === UpstreamProtocol.AUTO) {
    const ca = t?.caCertificate ? certificates(t.caCertificate)?.caBundle : undefined;
    const client = t?.clientCertificate ? certificates(t.clientCertificate) : undefined;
    tls = {
      ...(t?.sni ? { servername: t.sni } : {}),
      ...(ca ? { ca } : {}),
      ...(client ? { cert: client.certChain, key: client.privateKey } : {}),
      rejectUnauthorized: !(t?.insecureSkipVerify ?? false),
      minVersion: 'TLSv1.2',
    };
  }
  switch (cluster.protocol) {
    case UpstreamProtocol.H2C:
      return { protocol: 'h2c', maxConcurrentStreams };
    case UpstreamProtocol.H2:
      return { protocol: 'h2', maxConcurrentStreams, tls: tls! };
    case UpstreamProtocol.AUTO:
      return { protocol: 'auto', maxConcurrentStreams, tls: tls! };
    default:
      return { protocol: 'http1', maxConcurrentStreams, ...(tls ? { tls } : {}) };
  }
}

export type Wire = ReturnType<typeof wireOf>;

/**
 * The wire to a mesh endpoint (one with an `identity`, reached by a proxy that has a workload
 * identity): the cluster's protocol over mutual TLS with `tls`. h2c becomes h2 over TLS (ALPN h2):
 * gRPC between sidecars is encrypted too. A cluster that sets its own `tls` keeps it (the operator
 * chose how to reach those endpoints).
 */
export function meshWireOf(cluster: Cluster, wire: Wire, tls: ConnectionOptions): Wire {
  if (cluster.tls !== undefined) return wire;
  return { ...wire, protocol: wire.protocol === 'h2c' ? 'h2' : wire.protocol, tls };
}

/**
 * The wire to one endpoint of `cluster`: the mesh wire (mutual TLS as the endpoint's identity) when
 * the endpoint has an `identity`, the proxy means to hold a workload certificate and the cluster sets
 * no `tls` of its own; else the cluster's. Pools and health probes both reach an endpoint this way.
 */
export function endpointWireOf(cluster: Cluster, wire: Wire, endpoint: Pick<Endpoint, 'identity'>, meshTls: MeshTls | undefined): { wire: Wire; meshIdentity: string } {
  if (meshTls === undefined || !meshTls.enabled || endpoint.identity === '' || cluster.tls !== undefined) return { wire, meshIdentity: '' };
  return { wire: meshWireOf(cluster, wire, meshTls.clientOptions(endpoint.identity)), meshIdentity: endpoint.identity };
}
