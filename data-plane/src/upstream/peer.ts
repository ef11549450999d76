// A place to send requests: one endpoint with its connection pool, weight, health and in-flight count.
// Applications keep Peers for the life of a configuration so their pools stay warm; a cluster state
// carries a Peer (and its pool) across endpoint changes other than its address or pool settings, so
// weight, zone, priority and health are mutable and the cluster's balancer is rebuilt around them.
import type { ConnectionOptions } from 'node:tls';
import { ConnectionPool, DEFAULT_POOL_OPTIONS, type PoolOptions } from './connection-pool.js';
import { AlpnPool } from './alpn-pool.js';
import { DEFAULT_MAX_CONCURRENT_STREAMS, Http2SessionPool } from './http2-session-pool.js';
import type { UpstreamPool } from './upstream-client.js';

import type { OutlierState } from './health/outlier-state.js';
import { Health } from '../../../proto/src/model/enums.js';

/**
 * `cluster\0address:port`: one endpoint of one cluster, as the active checks' verdicts are keyed in the
 * checker, the serving processes, the worker pool and the discovery client.
 */
export function clusterEndpointKey(cluster: string, address: string, port: number): string {
  return `${cluster}\u0000${address}:${port}`;
}

/** Whoever balances over the peer: told when its availability may have changed (an un-ejection). */
export interface PeerOwner {
  refresh(): void;
}

export interface PeerOptions {
  /** Relative weight for weighted balancers (default 1). */
  weight?: number;
  /** False takes the peer out of balancing (unhealthy, draining); in-flight requests finish. */
  available?: boolean;
  zone?: string;
  /** Failover level: lower is preferred (Endpoint.priority). */
  priority?: number;
  pool?: Partial<PoolOptions>;
  /** Wire protocol to the endpoint: HTTP/1.1 (default), or HTTP/2 in cleartext or over TLS. */
  protocol?: 'http1' | 'h2c' | 'h2' | 'auto';
  /** HTTP/2: streams per session before another opens. */
  maxConcurrentStreams?: number;
  /** TLS to the endpoint (always for h2; for http1 when set): SNI, CA, client certificate. */
  tls?: ConnectionOptions;
}

export class Peer {
  /** `address:port`: identity of the endpoint (pools are shared by it across snapshot updates). */
  readonly key: string;
  readonly pool: UpstreamPool;
  weight: number;
  zone: string;
  /** Failover level from Endpoint.priority: 0 first; higher levels take traffic when lower ones cannot (selectPeers). */
  priority: number;
  /**
   * The effective flag balancers read: the pushed health, the local active check and outlier
   * detection all allow traffic (ClusterState.refresh computes it from the three below).
   */
  available: boolean;
  /** Health from the Endpoints resource (the control plane's aggregate): UNHEALTHY or DRAINING take it out. */
  pushedHealth: Health = Health.UNKNOWN;
  /** This proxy's active health check: UNHEALTHY takes it out; UNKNOWN (no check, or not decided yet) does not. */
  activeHealth: Health = Health.UNKNOWN;
  /** Why the active check decided so (`http 503`, `connect ECONNREFUSED`), for /clusters. */
  activeReason = '';
  /** Outlier detection's per-endpoint counters and ejection; undefined until the first observation. */
  outlier: OutlierState | undefined = undefined;
  /** The cluster state balancing over this peer now (the newest snapshot's). */
  owner: PeerOwner | undefined = undefined;
  /** TLS to the endpoint, if any (tunnels such as WebSocket connect with it too). */
  readonly tls: ConnectionOptions | undefined;
  /** Requests in flight to this peer (least-request balancing reads it). */
  inflight = 0;
  /** The SPIFFE ID the endpoint must prove when it is reached with mesh mutual TLS; '' otherwise. */
  meshIdentity = '';

  constructor(readonly host: string, readonly port: number, options: PeerOptions = {}) {
    this.key = `${host}:${port}`;
    this.weight = options.weight !== undefined && options.weight > 0 ? options.weight : 1;
    this.zone = options.zone ?? '';
    this.priority = options.priority ?? 0;
    this.available = options.available ?? true;
    const pool = { ...DEFAULT_POOL_OPTIONS, ...options.pool };
    this.tls = options.protocol === 'h2c' ? undefined : options.tls;
    const maxConcurrentStreams = options.maxConcurrentStreams || DEFAULT_MAX_CONCURRENT_STREAMS;
    this.pool =
      options.protocol === 'auto'
        ? new AlpnPool(host, port, { ...pool, maxConcurrentStreams }, options.tls ?? {})
        : options.protocol === 'h2c' || options.protocol === 'h2'
          ? new Http2SessionPool(host, port, { ...pool, maxConcurrentStreams, ...(options.protocol === 'h2' ? { tls: options.tls ?? {} } : {}) })
          : new ConnectionPool(host, port, pool, options.tls);
  }

  /** Outlier detection has this peer ejected now: for a time, or until a probe passes (it refused a connection). */
  get ejected(): boolean {
    const s = this.outlier;
    return s !== undefined && (s.ejectedUntilMs > 0 || s.untilProbed);
  }

  /** Recomputes `available` from the pushed health, the active check and ejection. */
  updateAvailable(): void {
    this.available = this.pushedHealth !== Health.UNHEALTHY && this.pushedHealth !== Health.DRAINING && this.activeHealth !== Health.UNHEALTHY && !this.ejected;
  }

  /** Closes idle connections now and busy ones when their request ends. */
  close(): void {
    this.outlier?.clearTimer();
    this.pool.close();
  }
}
