// A latency percentile from merged histogram buckets, as Prometheus' histogram_quantile computes it:
// the bucket holding the rank, then linear interpolation inside it. Exact to within that bucket's
// bounds (LATENCY_BOUNDS_S: e.g. a p99 between 100 and 250 ms is reported somewhere between them);
// a rank in the +Inf bucket reports the highest bound, 60 s.
import { LATENCY_BOUNDS_S } from '../../../proto/src/wire/traffic-limits.js';

/** The q-quantile (0..1) in milliseconds; 0 when the histogram is empty. */
export function latencyQuantileMs(buckets: Float64Array, q: number): number {
  let total = 0;
  for (const n of buckets) total += n;
  if (total <= 0) return 0;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < buckets.length; i++) {
    const n = buckets[i]!;
    if (below + n >= rank && n > 0) {
      if (i >= LATENCY_BOUNDS_S.length) return LATENCY_BOUNDS_S[LATENCY_BOUNDS_S.length - 1]! * 1000;
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_S[i - 1]!;
      const upper = LATENCY_BOUNDS_S[i]!;
      return (lower + ((upper - lower) * (rank - below)) / n) * 1000;
    }
    below += n;
  }
  return LATENCY_BOUNDS_S[LATENCY_BOUNDS_S.length - 1]! * 1000;
}
