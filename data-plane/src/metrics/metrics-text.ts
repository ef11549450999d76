// One Prometheus page from several registries' JSON (the workers' and the primary's): prom-client's
// AggregatorRegistry sums counters and histograms series by series, so /metrics on the primary's
// admin port shows the whole proxy, not one worker.
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';

export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

export function metricsText(parts: readonly MetricsJson[]): Promise<string> {
  return AggregatorRegistry.aggregate(parts as MetricsJson[]).metrics();
}

export const METRICS_CONTENT_TYPE = AggregatorRegistry.PROMETHEUS_CONTENT_TYPE;
