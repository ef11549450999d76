// The admin API's Prometheus metrics and the GET /metrics route that serves the control plane's
// registry (no token: scrapers are kept out by the network policy, and no metric carries a secret).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ResourceCache } from '../store/resource-cache.js';
import type { ApiRoute } from './api-route.js';

export class ApiMetrics {
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route'>;
  private readonly watchLag: Histogram;
  private readonly watchLagTimeouts: Counter;

  constructor(readonly registry: Registry, cache: ResourceCache) {
    this.requests = new Counter({
      name: 'sluice_api_requests_total',
      help: 'Admin API requests by method, route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'sluice_api_request_duration_seconds',
      help: 'Admin API request durations by method and route pattern.',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    });
    this.watchLag = new Histogram({
      name: 'sluice_store_watch_lag_seconds',
      help: 'From the store committing an API write to the watch delivering it to the cache.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    this.watchLagTimeouts = new Counter({
      name: 'sluice_store_watch_lag_timeouts_total',
      help: 'API writes answered before the watch delivered them (the catch-up wait timed out).',
      registers: [registry],
    });
    new Gauge({
      name: 'sluice_store_revision',
      help: 'The store revision the control plane\'s cache reflects.',
      registers: [registry],
      collect() {
        this.set(cache.revision);
      },
    });
    new Gauge({
      name: 'sluice_store_reachable',
      help: '1 while the store watch is live, 0 while the store is unreachable (reads are then stale).',
      registers: [registry],
      collect() {
        this.set(cache.live ? 1 : 0);
      },
    });
  }

  /** `route` is the matched pattern (`/v1/:kind/:name`), never the raw path: labels stay few. */
  observe(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.duration.observe({ method, route }, seconds);
  }

  /** A commit reached the cache after `seconds` (`seen`), or the wait for it timed out. */
  commitSeen(seconds: number, seen: boolean): void {
    if (seen) this.watchLag.observe(seconds);
    else this.watchLagTimeouts.inc();
  }

  route(): ApiRoute {
    return {
      method: 'GET',
      path: '/metrics',
      role: 'public',
      handler: async () => ({
        status: 200,
        body: await this.registry.metrics(),
        headers: { 'content-type': this.registry.contentType },
      }),
    };
  }
}
