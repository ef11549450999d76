// A cluster at run time: its peers (with their pools) and its balancer. Kept across snapshot updates
// while the cluster's definition (and its Endpoints) is unchanged, so pools stay warm and round-robin
// state goes on; when it changes, peers whose address and pool settings are unchanged are carried over
// (with their pools, whatever their weight, zone, priority or health: connections stay reused
// while weights shift). Health changes between snapshots (an active check, an ejection) rebuild the
// balancer in place through refresh().
import type { Cluster } from '../../../proto/gen/sluice/v1/cluster_pb.js';
import type { Endpoints } from '../../../proto/gen/sluice/v1/endpoints_pb.js';
import { mergeEndpoints } from '../../../proto/src/model/merge-endpoints.js';
import type { HashSubject } from '../upstream/balancers/hash-key.js';
import type { Balancer } from '../upstream/balancers/balancer.js';
import { createBalancer } from '../upstream/balancers/create-balancer.js';
import { DEFAULT_PANIC_THRESHOLD_PERCENT, selectPeers } from '../upstream/balancers/select-peers.js';
import { DEFAULT_POOL_OPTIONS, type PoolOptions } from '../upstream/connection-pool.js';
import type { EjectionReport } from '../upstream/health/ejection.js';
import { OutlierDetector, outlierSettingsOf, UNTIL_PROBED, type AdoptedEjection } from '../upstream/health/outlier-detector.js';
import { healthCheckSettingsOf } from '../upstream/health/health-check-settings.js';
import { Peer, type PeerOwner } from '../upstream/peer.js';
import { endpointWireOf, wireOf, type CertificateLookup } from '../upstream/cluster-wire.js';
import type { MeshTls } from '../identity/mesh-tls.js';
import { Health } from '../../../proto/src/model/enums.js';
import { specFingerprint } from './spec-fingerprint.js';

export type { CertificateLookup };

/** What a cluster state needs from the proxy around it; every member is optional (tests, benchmarks). */
export interface ClusterContext {
  /** The proxy's zone (--zone): selectPeers prefers peers in it. */
  readonly localZone?: string;
  /**
   * The local active health check's verdict on `address:port` of `cluster`, when it has one. Given (a
   * proxy that runs checks), an endpoint without a verdict starts at its cluster's initial_health.
   */
  activeHealth?(cluster: string, address: string, port: number): { readonly health: Health; readonly reason: string } | undefined;
  /**
   * This process's outlier detection ejected an endpoint (not called for verdicts adopted from other
   * processes, nor when an ejection ends). Given, an endpoint that refuses a connection is out until
   * the receiver has it probed and lets it back (SharedEjections); without it a refusal only counts.
   */
  onEjection?(report: EjectionReport): void;
  /** The proxy's current ejection of `address:port` of `cluster` (SharedEjections' verdict), if any: a new peer starts with it. */
  ejection?(cluster: string, address: string, port: number): AdoptedEjection | undefined;
  /** The proxy's mesh TLS: given and enabled, endpoints with an `identity` are reached with mutual TLS. */
  readonly meshTls?: MeshTls;
}

/** What a checked endpoint with initial_health UNHEALTHY starts as (the checker's own reason). */
const INITIAL_UNHEALTHY = Object.freeze({ health: Health.UNHEALTHY, reason: 'initial health' });

export class ClusterState implements PeerOwner {
  readonly name: string;
  /** The cluster and its Endpoints as JSON: equal fingerprints mean nothing to rebuild. */
  readonly fingerprint: string;
  /** Every endpoint, available or not. */
  readonly peers: readonly Peer[];
  /** Over the peers selectPeers returns; built by refresh(), in the constructor and when availability changes. */
  private balancer!: Balancer;
  /** Peers of the previous state that this one did not take over: to close once it is in service. */
  readonly retiredPeers: readonly Peer[];
  /** Passive health; undefined when the cluster disables outlier detection (the hot path skips it). */
  readonly outlier: OutlierDetector | undefined;
  /** Pool settings as JSON: peers are carried over only when these are equal. */
  private readonly poolKey: string;
  private readonly localZone: string;
  private readonly panicThresholdPercent: number;

  constructor(readonly cluster: Cluster, endpoints: Endpoints | undefined, previous: ClusterState | undefined, certificates: CertificateLookup = () => undefined, context: ClusterContext = {}) {
    this.name = cluster.name;
    this.fingerprint = fingerprintOf(cluster, endpoints, certificates);
    this.localZone = context.localZone ?? '';
    this.panicThresholdPercent = cluster.outlierDetection?.panicThresholdPercent || DEFAULT_PANIC_THRESHOLD_PERCENT;
    const pool = poolOptionsOf(cluster);
    const wire = wireOf(cluster, certificates);
    const poolKey = JSON.stringify([pool, wire]);
    // Only the address and the pool settings decide whether a pool can be kept.
    const old = new Map<string, Peer>();
    if (previous !== undefined && previous.poolKey === poolKey) for (const p of previous.peers) old.set(p.meshIdentity === '' ? p.key : `${p.key}|${p.meshIdentity}`, p);
    this.poolKey = poolKey;
    const peers: Peer[] = [];
    const initialUnhealthy = cluster.healthCheck !== undefined && healthCheckSettingsOf(cluster.healthCheck).initialHealth === Health.UNHEALTHY;
    for (const e of mergeEndpoints(endpoints?.endpoints ?? [], cluster.endpoints)) {
      const { wire: peerWire, meshIdentity } = endpointWireOf(cluster, wire, e, context.meshTls);
      // A pool is kept only for the same endpoint reached the same way (plain, or as the same identity).
      const key = meshIdentity === '' ? `${e.address}:${e.port}` : `${e.address}:${e.port}|${meshIdentity}`;
      let peer = old.get(key);
      if (peer !== undefined) {
        old.delete(key);
        peer.weight = e.weight || 1;
        peer.zone = e.zone;
        peer.priority = e.priority;
      } else {
        peer = new Peer(e.address, e.port, { weight: e.weight || 1, zone: e.zone, priority: e.priority, pool, ...peerWire });
        peer.meshIdentity = meshIdentity;
      }
      peer.pushedHealth = e.health;
      // No verdict yet on a checked endpoint: its cluster's initial health, as the checker will say
      // (its 'initial' transition arrives a turn or an IPC message later; until then the endpoint
      // must not take traffic when initial_health is UNHEALTHY).
      const active = context.activeHealth?.(this.name, e.address, e.port) ?? (context.activeHealth !== undefined && initialUnhealthy ? INITIAL_UNHEALTHY : undefined);
      peer.activeHealth = active?.health ?? Health.UNKNOWN;
      peer.activeReason = active?.reason ?? '';
      peer.owner = this;
      peers.push(peer);
    }
    this.retiredPeers = [...old.values()];
    this.peers = peers;
    // On unless the cluster disables it (outlier_detection unset takes every default).
    const settings = outlierSettingsOf(cluster.outlierDetection);
    const onEjection = context.onEjection;
    this.outlier =
      settings === undefined
        ? undefined
        : new OutlierDetector(settings, () => this.peers, {
            changed: (peer, ejected, ms, own) => {
              // The peer's newest owner rebuilds: this state may have been replaced since the ejection.
              peer.owner?.refresh();
              if (own && ejected && onEjection !== undefined) onEjection(reportOf(this.name, peer, ms));
            },
          }, undefined, onEjection !== undefined);
    // A carried-over peer keeps its ejection only while the cluster still does outlier detection.
    if (settings === undefined) for (const p of peers) if (p.outlier !== undefined) { p.outlier.clearTimer(); p.outlier = undefined; }
    // A peer new to this process (a new worker, new pool settings) starts with the proxy's ejection of it.
    if (this.outlier !== undefined && context.ejection !== undefined) {
      for (const p of peers) {
        const v = context.ejection(this.name, p.host, p.port);
        if (v !== undefined) this.outlier.adopt(p, v);
      }
    }
    this.refresh();
  }

  pick(session: HashSubject, exclude: readonly Peer[]): Peer | undefined {
    return this.balancer.pick(session, exclude);
  }

  /**
   * Recomputes every peer's availability and rebuilds the balancer over the peers selectPeers picks.
   * Called when an active check or an ejection changes a peer between snapshots.
   */
  refresh(): void {
    for (const p of this.peers) p.updateAvailable();
    this.balancer = createBalancer(this.cluster.loadBalancing, selectPeers(this.peers, this.localZone, this.panicThresholdPercent), this.cluster.hashPolicy);
  }

  /** Sets the local active check's verdict on `key` (`address:port`); true when the cluster has that peer. */
  setActiveHealth(key: string, health: Health, reason: string): boolean {
    const peer = this.peers.find((p) => p.key === key);
    if (peer === undefined) return false;
    peer.activeHealth = health;
    peer.activeReason = reason;
    this.refresh();
    return true;
  }

  /** Adopts the proxy's ejection verdict on `key` (`address:port`); true when the cluster has that peer. */
  adoptEjection(key: string, verdict: AdoptedEjection): boolean {
    const peer = this.peers.find((p) => p.key === key);
    if (peer === undefined) return false;
    this.outlier?.adopt(peer, verdict);
    return true;
  }

  close(): void {
    for (const p of this.peers) p.close();
  }
}

function reportOf(cluster: string, peer: Peer, ms: number): EjectionReport {
  const s = peer.outlier!;
  const refused = ms === UNTIL_PROBED;
  return { cluster, address: peer.host, port: peer.port, refused, ms: refused ? 0 : ms, multiplier: s.multiplier, reason: s.reason };
}


export function fingerprintOf(cluster: Cluster, endpoints: Endpoints | undefined, certificates: CertificateLookup = () => undefined): string {
  // The certificates upstream TLS uses count too: a rotated CA or client certificate makes new pools.
  const tls = cluster.tls;
  const certs = tls === undefined ? '' : JSON.stringify([tls.caCertificate, tls.clientCertificate].map((n) => (n ? certificates(n) : undefined)).map((c) => (c ? [c.certChain, c.privateKey, c.caBundle] : null)));
  return specFingerprint(cluster) + (endpoints === undefined ? '' : specFingerprint(endpoints)) + certs;
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
