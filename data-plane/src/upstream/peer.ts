// A place to send requests: one endpoint with its connection pool, weight, health and in-flight count.
// Applications keep Peers for the life of a configuration so their pools stay warm.
import type { ConnectionOptions } from 'node:tls';
import { ConnectionPool, DEFAULT_POOL_OPTIONS, type PoolOptions } from './connection-pool.js';
import { AlpnPool } from './alpn-pool.js';
import { DEFAULT_MAX_CONCURRENT_STREAMS, Http2SessionPool } from './http2-session-pool.js';
import type { UpstreamPool } from './upstream-client.js';

export interface PeerOptions {
  /** Relative weight for weighted balancers (default 1). */
  weight?: number;
  /** False takes the peer out of balancing (unhealthy, draining); in-flight requests finish. */
  available?: boolean;
  zone?: string;
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
  readonly weight: number;
  readonly zone: string;
  available: boolean;
  /** TLS to the endpoint, if any (tunnels such as WebSocket connect with it too). */
  readonly tls: ConnectionOptions | undefined;
  /** Requests in flight to this peer (least-request balancing reads it). */
  inflight = 0;

  constructor(readonly host: string, readonly port: number, options: PeerOptions = {}) {
    this.key = `${host}:${port}`;
    this.weight = options.weight !== undefined && options.weight > 0 ? options.weight : 1;
    this.zone = options.zone ?? '';
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

  /** Closes idle connections now and busy ones when their request ends. */
  close(): void {
    this.pool.close();
  }
}
