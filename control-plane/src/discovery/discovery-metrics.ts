// The discovery server's Prometheus metrics: connected proxies, responses pushed and how long each
// took to be ACKed or NACKed, NACKs by type, and how far the snapshot being pushed is behind the
// store revision the cache has seen (the debounce window; 0 when idle).
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface DiscoveryMetricsSource {
  /** Proxies with an open stream. */
  connected(): number;
  /** The revision of the snapshot being pushed. */
  snapshotRevision(): number;
  /** The store revision the cache reflects. */
  cacheRevision(): number;
}

export class DiscoveryMetrics {
  private readonly pushes: Counter<'type'>;
  private readonly answered: Histogram<'type' | 'result'>;
  private readonly nacks: Counter<'type'>;
  private readonly streams: Counter;

  constructor(registry: Registry, source: DiscoveryMetricsSource) {
    new Gauge({
      name: 'sluice_discovery_connected_proxies',
      help: 'Proxies with an open discovery stream to this replica.',
      registers: [registry],
      collect() {
        this.set(source.connected());
      },
    });
    this.streams = new Counter({ name: 'sluice_discovery_streams_total', help: 'Discovery streams opened (proxies connected or reconnected).', registers: [registry] });
    this.pushes = new Counter({ name: 'sluice_discovery_pushes_total', help: 'Discovery responses sent, by resource type.', labelNames: ['type'], registers: [registry] });
    this.answered = new Histogram({
      name: 'sluice_discovery_push_duration_seconds',
      help: 'Push latency: from a response being ready to the proxy applying (ACK) or refusing (NACK) it.',
      labelNames: ['type', 'result'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    this.nacks = new Counter({ name: 'sluice_discovery_nacks_total', help: 'Responses proxies NACKed, by resource type.', labelNames: ['type'], registers: [registry] });
    new Gauge({
      name: 'sluice_discovery_snapshot_revision',
      help: 'The store revision of the snapshot being pushed to proxies.',
      registers: [registry],
      collect() {
        this.set(source.snapshotRevision());
      },
    });
    new Gauge({
      name: 'sluice_discovery_snapshot_lag_revisions',
      help: 'Store revisions the cache has seen that the pushed snapshot does not reflect yet.',
      registers: [registry],
      collect() {
        this.set(Math.max(0, source.cacheRevision() - source.snapshotRevision()));
      },
    });
  }

  streamOpened(): void {
    this.streams.inc();
  }

  /** A response is ready for a proxy; returns its start time for answered(). */
  pushed(type: string): number {
    this.pushes.inc({ type });
    return performance.now();
  }

  /** The proxy answered the response pushed at `sinceMs`. */
  answeredPush(type: string, ok: boolean, sinceMs: number): void {
    this.answered.observe({ type, result: ok ? 'ack' : 'nack' }, (performance.now() - sinceMs) / 1000);
    if (!ok) this.nacks.inc({ type });
  }

  /** Zero series for every type, so rates exist before the first push. */
  declareTypes(types: readonly string[]): void {
    for (const type of types) {
      this.pushes.inc({ type }, 0);
      this.nacks.inc({ type }, 0);
    }
  }
}
