// A Prometheus histogram kept as plain numbers: observing is a bucket search and three additions,
// with no label hashing. The registry reads it at scrape time (see collected-metric.ts).
import type { MetricValue } from './collected-metric.js';
import { LATENCY_BOUNDS_S } from '../../../proto/src/wire/traffic-limits.js';

/** Seconds (proto/src/wire/traffic-limits.ts says why these): traffic summaries carry the same buckets. */
export const LATENCY_BUCKETS_S: readonly number[] = LATENCY_BOUNDS_S;

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

  /** Non-cumulative counts per bucket, +Inf last: what traffic summaries take deltas of. Do not modify. */
  get bucketCounts(): Float64Array {
    return this.counts;
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
