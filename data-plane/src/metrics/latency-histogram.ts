// A Prometheus histogram kept as plain numbers: observing is a bucket search and three additions,
// with no label hashing. The registry reads it at scrape time (see collected-metric.ts).
import type { MetricValue } from './collected-metric.js';

/**
 * Seconds, from 0.5 ms (a hop on the same host) to 60 s: routes have no timeout unless they set
 * timeoutMs, and timeouts of tens of seconds are common, so slow requests keep a bound of their own
 * instead of all landing in +Inf. Envoy's default bounds up to a minute, with 2.5 ms added.
 */
export const LATENCY_BUCKETS_S: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class LatencyHistogram {
  /** Non-cumulative counts per bucket; the last one is +Inf. */
  private readonly counts = new Float64Array(LATENCY_BUCKETS_S.length + 1);
  private sum = 0;
  private count = 0;

  observe(seconds: number): void {
    let i = 0;
    const b = LATENCY_BUCKETS_S;
    while (i < b.length && seconds > b[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }

  /** Prometheus values (`_bucket` cumulative with `le`, `_sum`, `_count`) under `name`. */
  values(name: string, labels: Record<string, string>): MetricValue[] {
    const out: MetricValue[] = [];
    let cumulative = 0;
    for (let i = 0; i <= LATENCY_BUCKETS_S.length; i++) {
      cumulative += this.counts[i]!;
      out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: i < LATENCY_BUCKETS_S.length ? LATENCY_BUCKETS_S[i]! : '+Inf' }, value: cumulative });
    }
    out.push({ metricName: `${name}_sum`, labels, value: this.sum }, { metricName: `${name}_count`, labels, value: this.count });
    return out;
  }
}
