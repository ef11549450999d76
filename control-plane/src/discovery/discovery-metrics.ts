// The discovery server's Prometheus metrics: connected proxies, responses pushed and how long each
// took to be ACKed or NACKed, NACKs by type, how long a configuration change took from this replica's
// cache to each proxy's ACK, and how far the snapshot being pushed is behind the store revision the
// cache has seen (the debounce window; 0 when idle).
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface DiscoveryMetricsSource {
  /** Proxies with an open stream. */
  connected(): number;
  /** The revision of the snapshot being pushed. */
  snapshotRevision(): number;
  /** The store revision the cache reflects. */
  cacheRevision(): number;
  /**
   * performance.now() when the cache saw the oldest store revision above `after`, at most `upTo`
   * (seen-revisions.ts); undefined when unknown.
   */
  firstSeenAfter(after: number, upTo: number): number | undefined;
}

export class DiscoveryMetrics {
  private readonly pushes: Counter<'type'>;
  private readonly answered: Histogram<'type' | 'result'>;
  private readonly nacks: Counter<'type'>;
  private readonly streams: Counter;
  private readonly propagation: Histogram;

  constructor(registry: Registry, private readonly source: DiscoveryMetricsSource) {
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
    this.propagation = new Histogram({
      name: 'sluice_discovery_propagation_seconds',
      help: 'Configuration propagation: from this replica\'s cache seeing a store revision to a proxy ACKing the last response that brought it up to date with it. One per proxy and update; a stream\'s first configuration, NACKed updates and proxies the change does not concern are not counted.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    });
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

  /**
   * A proxy synced at store revision `from` ACKed everything up to `to`: the time since the cache saw
   * the oldest change it lacked (the revision above `from`). A change seen before the proxy's stream
   * opened (`streamOpenedAtMs`) was on its way when the proxy connected: part of its first
   * configuration, not counted.
   */
  propagated(from: number, to: number, streamOpenedAtMs: number): void {
    const seenAtMs = this.source.firstSeenAfter(from, to);
    if (seenAtMs !== undefined && seenAtMs >= streamOpenedAtMs) this.propagation.observe((performance.now() - seenAtMs) / 1000);
  }

  /** Zero series for every type, so rates exist before the first push. */
  declareTypes(types: readonly string[]): void {
    for (const type of types) {
      this.pushes.inc({ type }, 0);
      this.nacks.inc({ type }, 0);
    }
  }
}
