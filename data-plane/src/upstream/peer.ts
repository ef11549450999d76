// A place to send requests: one endpoint with its connection pool, weight, health and in-flight count.
// Applications keep Peers for the life of a configuration so their pools stay warm.
import { ConnectionPool, DEFAULT_POOL_OPTIONS, type PoolOptions } from './connection-pool.js';

export interface PeerOptions {
  /** Relative weight for weighted balancers (default 1). */
  weight?: number;
  /** False takes the peer out of balancing (unhealthy, draining); in-flight requests finish. */
  available?: boolean;
  zone?: string;
  pool?: Partial<PoolOptions>;
}

export class Peer {
  /** `address:port`: identity of the endpoint (pools are shared by it across snapshot updates). */
  readonly key: string;
  readonly pool: ConnectionPool;
  readonly weight: number;
  readonly zone: string;
  available: boolean;
  /** Requests in flight to this peer (least-request balancing reads it). */
  inflight = 0;

  constructor(readonly host: string, readonly port: number, options: PeerOptions = {}) {
    this.key = `${host}:${port}`;
    this.weight = options.weight !== undefined && options.weight > 0 ? options.weight : 1;
    this.zone = options.zone ?? '';
    this.available = options.available ?? true;
    this.pool = new ConnectionPool(host, port, { ...DEFAULT_POOL_OPTIONS, ...options.pool });
  }

  /** Closes idle connections now and busy ones when their request ends. */
  close(): void {
    this.pool.close();
  }
}
