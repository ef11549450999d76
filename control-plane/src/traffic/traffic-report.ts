// GET /v1/traffic's body from windows (each the merge of every replica's part): the last complete
// window's mesh, routes, clusters and edges, and the mesh's series over the last five minutes, one
// point per window. Rates are per second over the window; errorRate is the share of 5xx in 0..1;
// percentiles come from the merged latency buckets (traffic-quantile.ts).
import { latencyQuantileMs } from './traffic-quantile.js';
import type { TrafficBucket } from './traffic-bucket.js';
import type { TrafficTally } from './traffic-tally.js';

export interface TrafficFigures {
  readonly rps: number;
  readonly errorRate: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface TrafficReport {
  readonly windowSeconds: number;
  readonly proxiesReporting: number;
  readonly mesh: TrafficFigures;
  readonly routes: readonly ({ readonly route: string } & TrafficFigures)[];
  readonly clusters: readonly ({ readonly cluster: string } & TrafficFigures)[];
  readonly edges: readonly { readonly from: string; readonly to: string; readonly rps: number; readonly errorRate: number }[];
  readonly series: readonly { readonly t: number; readonly rps: number; readonly errorRate: number; readonly p99Ms: number }[];
}

/** `latest`: the last complete window (merged); `series`: the windows of the last five minutes, oldest first (undefined: nothing reported). */
export function trafficReport(windowMs: number, latest: TrafficBucket | undefined, series: readonly { index: number; bucket: TrafficBucket | undefined }[]): TrafficReport {
  const seconds = windowMs / 1000;
  const figures = (t: TrafficTally): TrafficFigures => ({
    rps: round(t.requests / seconds, 3),
    errorRate: errorRate(t),
    p50Ms: round(latencyQuantileMs(t.latency, 0.5), 2),
    p99Ms: round(latencyQuantileMs(t.latency, 0.99), 2),
  });
  const busiestFirst = <T extends { rps: number }>(a: T, b: T): number => b.rps - a.rps;
  return {
    windowSeconds: seconds,
    proxiesReporting: latest === undefined ? 0 : Math.round(latest.proxies),
    mesh: latest === undefined ? { rps: 0, errorRate: 0, p50Ms: 0, p99Ms: 0 } : figures(latest.mesh),
    routes: latest === undefined ? [] : [...latest.routes].map(([route, t]) => ({ route, ...figures(t) })).sort(busiestFirst),
    clusters: latest === undefined ? [] : [...latest.clusters].map(([cluster, t]) => ({ cluster, ...figures(t) })).sort(busiestFirst),
    edges: latest === undefined ? [] : [...latest.edges].map(([key, t]) => {
      const at = key.indexOf('\u0000');
      return { from: key.slice(0, at), to: key.slice(at + 1), rps: round(t.requests / seconds, 3), errorRate: errorRate(t) };
    }).sort(busiestFirst),
    series: series.map(({ index, bucket }) => ({
      t: Math.round((index * windowMs) / 1000),
      rps: bucket === undefined ? 0 : round(bucket.mesh.requests / seconds, 3),
      errorRate: bucket === undefined ? 0 : errorRate(bucket.mesh),
      p99Ms: bucket === undefined ? 0 : round(latencyQuantileMs(bucket.mesh.latency, 0.99), 2),
    })),
  };
}

function errorRate(t: TrafficTally): number {
  return t.requests <= 0 ? 0 : round(Math.min(1, t.errors / t.requests), 4);
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
