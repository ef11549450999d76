// One traffic summary for the control plane from the (route, cluster) deltas of every process of the
// proxy (traffic-deltas.ts): summed by route, by cluster and in all, the busiest MAX_TRAFFIC_ENTRIES of
// each kept. Its size depends on the configuration, never on the request rate.
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { TrafficSummarySchema } from '../../../proto/gen/sluice/v1/discovery_pb.js';
import { LATENCY_BOUNDS_S, MAX_TRAFFIC_ENTRIES } from '../../../proto/src/wire/traffic-limits.js';
import type { SeriesTraffic } from './traffic-deltas.js';

export type TrafficSummaryInit = MessageInitShape<typeof TrafficSummarySchema>;

interface Sum {
  readonly name: string;
  requests: number;
  readonly byClass: number[];
  readonly latency: number[];
}

export function trafficSummary(parts: readonly (readonly SeriesTraffic[])[], intervalMs: number): TrafficSummaryInit {
  const total = emptySum('');
  const routes = new Map<string, Sum>();
  const clusters = new Map<string, Sum>();
  for (const part of parts) {
    for (const t of part) {
      add(total, t);
      if (t.route !== '') add(sumOf(routes, t.route), t);
      if (t.cluster !== '') add(sumOf(clusters, t.cluster), t);
    }
  }
  const [keptRoutes, omittedRoutes] = busiest(routes);
  const [keptClusters, omittedClusters] = busiest(clusters);
  return {
    intervalMs: Math.max(0, Math.min(0xffffffff, Math.round(intervalMs))),
    latencyBoundsSeconds: [...LATENCY_BOUNDS_S],
    total: wire(total),
    routes: keptRoutes.map(wire),
    clusters: keptClusters.map(wire),
    omittedRoutes,
    omittedClusters,
  };
}

function emptySum(name: string): Sum {
  return { name, requests: 0, byClass: [0, 0, 0, 0, 0, 0], latency: new Array<number>(LATENCY_BOUNDS_S.length + 1).fill(0) };
}

function sumOf(map: Map<string, Sum>, name: string): Sum {
  let s = map.get(name);
  if (s === undefined) map.set(name, (s = emptySum(name)));
  return s;
}

function add(into: Sum, t: SeriesTraffic): void {
  for (let i = 0; i < into.byClass.length; i++) {
    const n = t.byClass[i] ?? 0;
    into.byClass[i]! += n;
    into.requests += n;
  }
  for (let i = 0; i < into.latency.length; i++) into.latency[i]! += t.latency[i] ?? 0;
}

/** The busiest entries (most requests, then by name), at most MAX_TRAFFIC_ENTRIES, and how many were left out. */
function busiest(map: Map<string, Sum>): [Sum[], number] {
  const all = [...map.values()];
  if (all.length > MAX_TRAFFIC_ENTRIES) all.sort((a, b) => b.requests - a.requests || (a.name < b.name ? -1 : 1));
  return [all.slice(0, MAX_TRAFFIC_ENTRIES), Math.max(0, all.length - MAX_TRAFFIC_ENTRIES)];
}

function wire(s: Sum): { name: string; byStatusClass: number[]; latencyBuckets: number[] } {
  return { name: s.name, byStatusClass: s.byClass.map(clamp32), latencyBuckets: s.latency.map(clamp32) };
}

/** Counts are uint32 on the wire: an interval holds fewer than 4 billion requests of one route. */
function clamp32(n: number): number {
  return Math.min(0xffffffff, Math.max(0, Math.round(n)));
}
