// What happened to the proxy's spans, next to its other metrics: exported, dropped because the queue
// was full, dropped because the collector failed or did not answer; and the queue's length now.
import type { Registry } from 'prom-client';
import { CollectedMetric } from '../metrics/collected-metric.js';
import type { Tracing } from './tracing.js';

export function registerSpanMetrics(tracing: Tracing, registry: Registry): void {
  new CollectedMetric('sluice_proxy_spans_exported_total', 'Spans the OTLP collector accepted.', 'counter', () => [{ labels: {}, value: tracing.spanCounts.exported }], registry);
  new CollectedMetric('sluice_proxy_spans_dropped_total', 'Spans dropped, by reason: queue_full (the collector was too slow or down and the bounded queue was full) or export_failed (the collector refused them or did not answer in time).', 'counter', () => [
    { labels: { reason: 'queue_full' }, value: tracing.spanCounts.droppedQueueFull },
    { labels: { reason: 'export_failed' }, value: tracing.spanCounts.droppedExportFailed },
  ], registry);
  new CollectedMetric('sluice_proxy_spans_queued', 'Finished spans waiting to be exported.', 'gauge', () => [{ labels: {}, value: tracing.queuedSpans }], registry);
}
