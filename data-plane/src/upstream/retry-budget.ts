// A retry budget (Envoy's RetryBudget): retries in flight may be at most a percentage of the
// cluster's active requests, and never fewer than a floor, so a lightly loaded cluster can still
// retry while a failing one under load cannot multiply its traffic.

/** Envoy's min_retry_concurrency: retries always allowed in flight, whatever the budget. */
export const MIN_RETRY_CONCURRENCY = 3;

export class RetryBudget {
  /** `percent` of the active requests may be retries in flight (> 0). */
  constructor(readonly percent: number, readonly minConcurrency = MIN_RETRY_CONCURRENCY) {}

  /** Retries in flight the budget allows with this many requests active (the floor included). */
  allowed(activeRequests: number): number {
    return Math.max(this.minConcurrency, Math.floor((activeRequests * this.percent) / 100));
  }

  /** Whether one more retry may start while `retriesInFlight` run among `activeRequests`. */
  admits(retriesInFlight: number, activeRequests: number): boolean {
    return retriesInFlight < this.allowed(activeRequests);
  }
}
