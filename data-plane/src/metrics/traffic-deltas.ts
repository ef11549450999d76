// What each (route, cluster) pair of one process served since the last time it was asked: the
// deltas of the very counters /metrics exports (RequestSeries: requests by status class, downstream
// latency buckets), so a traffic summary and a Prometheus rate over the same span agree. Taking them
// walks the pairs once per interval; the request path is untouched.
import type { RequestSeries } from './request-series.js';

/** One pair's traffic over an interval: requests by status class and per latency bucket (not cumulative). */
export interface SeriesTraffic {
  readonly route: string;
  readonly cluster: string;
  readonly byClass: number[];
  readonly latency: number[];
}

interface Taken {
  requests: number;
  readonly byClass: number[];
  readonly latency: Float64Array;
}

export class TrafficDeltas {
  /** Per pair, the counters when last taken. Pairs live as long as the process (proxy-metrics.ts). */
  private readonly taken = new Map<RequestSeries, Taken>();

  /** The pairs that served requests since the previous call, with what they served. */
  take(series: Iterable<RequestSeries>): SeriesTraffic[] {
    const out: SeriesTraffic[] = [];
    for (const s of series) {
      let requests = 0;
      for (const n of s.byClass) requests += n;
      let last = this.taken.get(s);
      if (last === undefined) this.taken.set(s, (last = { requests: 0, byClass: [0, 0, 0, 0, 0, 0], latency: new Float64Array(s.downstream.bucketCounts.length) }));
      if (requests === last.requests) continue;
      const counts = s.downstream.bucketCounts;
      const byClass = s.byClass.map((n, i) => n - last.byClass[i]!);
      const latency = Array.from(counts, (n, i) => n - last.latency[i]!);
      last.requests = requests;
      for (let i = 0; i < s.byClass.length; i++) last.byClass[i] = s.byClass[i]!;
      last.latency.set(counts);
      out.push({ route: s.route, cluster: s.cluster, byClass, latency });
    }
    return out;
  }
}
