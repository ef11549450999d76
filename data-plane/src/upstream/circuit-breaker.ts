// A cluster's circuit breakers (Envoy's): limits on upstream connections, requests waiting
// for a connection or stream, concurrent requests and concurrent retries (or a retry budget). One
// object per cluster name for the life of the process, so its counters survive configuration updates;
// each update only refreshes the limits. Counters are plain numbers: a request that stays under every
// limit costs a few increments.
import type { CircuitBreakers } from '../../../proto/gen/sluice/v1/cluster_pb.js';
import { ProxyError, ProxyErrorCode } from '../errors.js';
import { MIN_RETRY_CONCURRENCY, RetryBudget } from './retry-budget.js';

/** The limits, named as in the `x-sluice-overloaded` header and the metrics' `limit` label. */
export type BreakerLimit = 'max_connections' | 'max_pending_requests' | 'max_requests' | 'max_retries' | 'retry_budget';

/** Envoy's defaults, used for a limit left at 0 (or a cluster without circuitBreakers). */
export const DEFAULT_LIMITS = Object.freeze({ maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 });

/** What a connection pool asks before it opens a connection, and tells when one has closed. */
export interface ConnectionGate {
  /** Counts a connection about to be opened; false (nothing counted) when the limit is reached. */
  tryConnect(): boolean;
  /** A connection counted by `tryConnect` closed or failed to open. Call exactly once per true. */
  connectionClosed(): void;
}

/** Worker processes sharing the proxy's limits (`--workers N` passes N as SLUICE_PROXY_WORKERS). */
export function workerCount(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env['SLUICE_PROXY_WORKERS'] ?? '1');
  return Number.isInteger(n) && n > 0 ? n : 1;
}

export class CircuitBreaker implements ConnectionGate {
  // Limits of this process: the proxy's limit divided over its workers, rounded up.
  maxConnections: number = DEFAULT_LIMITS.maxConnections;
  maxPendingRequests: number = DEFAULT_LIMITS.maxPendingRequests;
  maxRequests: number = DEFAULT_LIMITS.maxRequests;
  maxRetries: number = DEFAULT_LIMITS.maxRetries;
  /** Set when the cluster has retryBudgetPercent: replaces maxRetries (as in Envoy). */
  budget: RetryBudget | undefined;

  // What is in use now. Each goes up once and down once per use, on every path.
  connections = 0;
  pending = 0;
  requests = 0;
  retries = 0;

  /** Times each limit refused something (retries refused included). */
  readonly trips: Record<BreakerLimit, number> = { max_connections: 0, max_pending_requests: 0, max_requests: 0, max_retries: 0, retry_budget: 0 };

  constructor(readonly cluster: string) {}

  /** Takes the limits of a (new) configuration; counters carry on. */
  configure(proto: CircuitBreakers | undefined, workers = workerCount()): void {
    const share = (limit: number | undefined, fallback: number): number => Math.ceil((limit || fallback) / workers);
    this.maxConnections = share(proto?.maxConnections, DEFAULT_LIMITS.maxConnections);
    this.maxPendingRequests = share(proto?.maxPendingRequests, DEFAULT_LIMITS.maxPendingRequests);
    this.maxRequests = share(proto?.maxRequests, DEFAULT_LIMITS.maxRequests);
    this.maxRetries = share(proto?.maxRetries, DEFAULT_LIMITS.maxRetries);
    // The budget is a ratio of this process's own requests: no division over workers, but the floor of
    // concurrent retries is the proxy's, shared like the other limits.
    const percent = proto?.retryBudgetPercent ?? 0;
    this.budget = percent > 0 ? new RetryBudget(percent, Math.ceil(MIN_RETRY_CONCURRENCY / workers)) : undefined;
  }

  /** Admits a request to the cluster (call `endRequest` once when it ends), or trips max_requests. */
  tryRequest(): boolean {
    return this.take('requests', this.maxRequests, 'max_requests');
  }

  endRequest(): void {
    this.requests--;
  }

  /** Admits a request to wait for a connection or stream (`endPending` once it has one or failed). */
  tryPending(): boolean {
    return this.take('pending', this.maxPendingRequests, 'max_pending_requests');
  }

  endPending(): void {
    this.pending--;
  }

  /**
   * Admits one retry (`endRetry` once its try has ended); on false the retry is refused, counted
   * under the limit that refused it (retry_budget or max_retries).
   */
  tryRetry(): boolean {
    const budget = this.budget;
    return budget === undefined ? this.take('retries', this.maxRetries, 'max_retries') : this.take('retries', budget.allowed(this.requests), 'retry_budget');
  }

  endRetry(): void {
    this.retries--;
  }

  tryConnect(): boolean {
    return this.take('connections', this.maxConnections, 'max_connections');
  }

  connectionClosed(): void {
    this.connections--;
  }

  /** One more of `counter` when under `max`; else counts a trip of `limit` and takes nothing. */
  private take(counter: 'connections' | 'pending' | 'requests' | 'retries', max: number, limit: BreakerLimit): boolean {
    if (this[counter] >= max) {
      this.trips[limit]++;
      return false;
    }
    this[counter]++;
    return true;
  }
}

/** The 503 of a request refused by a limit; the engine adds `x-sluice-overloaded: <limit>`. */
export function overloadedError(subject: string, limit: BreakerLimit): ProxyError {
  return new ProxyError(ProxyErrorCode.Overloaded, `${subject}: over the ${limit} circuit breaker`, { limit });
}
