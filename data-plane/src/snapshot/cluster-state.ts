// A cluster at run time: its peers (with their pools) and its balancer. Kept across snapshot updates
// while the cluster's definition (and its Endpoints) is unchanged, so pools stay warm and round-robin
// state goes on; when it changes, peers whose address and pool settings are unchanged are carried over.
import { toJsonString } from '@bufbuild/protobuf';
import type { ConnectionOptions } from 'node:tls';
import type { Certificate } from '../../../proto/gen/sluice/v1/certificate_pb.js';
import { ClusterSchema, UpstreamProtocol, type Cluster } from '../../../proto/gen/sluice/v1/cluster_pb.js';
import { EndpointsSchema, Health, type Endpoint, type Endpoints } from '../../../proto/gen/sluice/v1/endpoints_pb.js';
import type { Session } from '../proxy/session.js';
import type { Balancer } from '../upstream/balancers/balancer.js';
import { createBalancer } from '../upstream/balancers/create-balancer.js';
import { DEFAULT_POOL_OPTIONS, type PoolOptions } from '../upstream/connection-pool.js';
import { Peer } from '../upstream/peer.js';

export class ClusterState {
  readonly name: string;
  /** The cluster and its Endpoints as JSON: equal fingerprints mean nothing to rebuild. */
  readonly fingerprint: string;
  /** Every endpoint, available or not. */
  readonly peers: readonly Peer[];
  readonly balancer: Balancer;
  /** Peers of the previous state that this one did not take over: to close once it is in service. */
  readonly retiredPeers: readonly Peer[];
  /** Pool settings as JSON: peers are carried over only when these are equal. */
  private readonly poolKey: string;

  constructor(readonly cluster: Cluster, endpoints: Endpoints | undefined, previous: ClusterState | undefined, certificates: CertificateLookup = () => undefined) {
    this.name = cluster.name;
    this.fingerprint = fingerprintOf(cluster, endpoints, certificates);
    const pool = poolOptionsOf(cluster);
    const wire = wireOf(cluster, certificates);
    const poolKey = JSON.stringify([pool, wire]);
    const old = new Map<string, Peer>();
    for (const p of previous?.peers ?? []) old.set(`${p.key}|${p.weight}|${p.zone}|${previous!.poolKey}`, p);
    this.poolKey = poolKey;
    const peers: Peer[] = [];
    for (const e of mergeEndpoints(cluster.endpoints, endpoints?.endpoints ?? [])) {
      const weight = e.weight || 1;
      const available = e.health !== Health.UNHEALTHY && e.health !== Health.DRAINING;
      const reuse = old.get(`${e.address}:${e.port}|${weight}|${e.zone}|${poolKey}`);
      if (reuse !== undefined) {
        reuse.available = available;
        old.delete(`${e.address}:${e.port}|${weight}|${e.zone}|${poolKey}`);
        peers.push(reuse);
      } else {
        peers.push(new Peer(e.address, e.port, { weight, zone: e.zone, available, pool, ...wire }));
      }
    }
    this.retiredPeers = [...old.values()];
    this.peers = peers;
    this.balancer = createBalancer(cluster.loadBalancing, peers.filter((p) => p.available), cluster.hashPolicy);
  }

  pick(session: Session, exclude: readonly Peer[]): Peer | undefined {
    return this.balancer.pick(session, exclude);
  }

  close(): void {
    for (const p of this.peers) p.close();
  }
}

export type CertificateLookup = (name: string) => Certificate | undefined;

export function fingerprintOf(cluster: Cluster, endpoints: Endpoints | undefined, certificates: CertificateLookup = () => undefined): string {
  // The certificates upstream TLS uses count too: a rotated CA or client certificate makes new pools.
  const tls = cluster.tls;
  const certs = tls === undefined ? '' : JSON.stringify([tls.caCertificate, tls.clientCertificate].map((n) => (n ? certificates(n) : undefined)).map((c) => (c ? [c.certChain, c.privateKey, c.caBundle] : null)));
  return toJsonString(ClusterSchema, cluster) + (endpoints === undefined ? '' : toJsonString(EndpointsSchema, endpoints)) + certs;
}

function poolOptionsOf(cluster: Cluster): PoolOptions {
  const p = cluster.pool;
  return {
    maxIdle: p?.maxIdlePerEndpoint || DEFAULT_POOL_OPTIONS.maxIdle,
    idleTimeoutMs: p?.idleTimeoutMs || DEFAULT_POOL_OPTIONS.idleTimeoutMs,
    connectTimeoutMs: cluster.connectTimeoutMs || DEFAULT_POOL_OPTIONS.connectTimeoutMs,
    maxRequestsPerConnection: p?.maxRequestsPerConnection || 0,
  };
}

/**
 * The wire protocol to the cluster's endpoints and its TLS. H2 and AUTO (ALPN h2 or http/1.1) are
 * always over TLS; HTTP1 is over TLS when `tls` is set.
 */
function wireOf(cluster: Cluster, certificates: CertificateLookup): { protocol: 'http1' | 'h2c' | 'h2' | 'auto'; maxConcurrentStreams: number; tls?: ConnectionOptions } {
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

/** Inline endpoints plus the Endpoints resource's; for the same address and port the latter wins. */
function mergeEndpoints(inline: readonly Endpoint[], dynamic: readonly Endpoint[]): Endpoint[] {
  const byKey = new Map<string, Endpoint>();
  for (const e of inline) byKey.set(`${e.address}:${e.port}`, e);
  for (const e of dynamic) byKey.set(`${e.address}:${e.port}`, e);
  return [...byKey.values()];
}
