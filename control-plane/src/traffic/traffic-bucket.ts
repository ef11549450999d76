// One window of the mesh's traffic as one replica (or several, merged) saw it: the whole mesh, each
// route, each cluster, each service-to-cluster edge, and how many proxies reported. Each map holds at
// most MAX_WINDOW_ENTRIES names; a name beyond that is left out (and counted by the caller), so a
// window's memory and a replica's published record stay bounded whatever proxies send.
import type { TrafficCounts, TrafficSummary } from '../../../proto/gen/sluice/v1/discovery_pb.js';
import { TrafficTally } from './traffic-tally.js';

export const MAX_WINDOW_ENTRIES = 1000;
/** Edges come from proxies that run beside no named service (gateways) under this name. */
export const NO_SERVICE = '(no service)';

export class TrafficBucket {
  readonly mesh = new TrafficTally();
  readonly routes = new Map<string, TrafficTally>();
  readonly clusters = new Map<string, TrafficTally>();
  /** By `from\0to`. */
  readonly edges = new Map<string, TrafficTally>();
  /** Proxy-windows covered: a proxy reporting throughout the window adds 1. */
  proxies = 0;

  /** `index`: the window's number, its start / window length. */
  constructor(readonly index: number) {}

  /**
   * Adds `fraction` of `summary` (the part of its interval inside this window), whose proxy runs
   * beside `service`; returns how many names did not fit.
   */
  add(summary: Pick<TrafficSummary, 'total' | 'routes' | 'clusters'>, service: string, fraction: number, coverage: number): number {
    this.proxies += coverage;
    const total = summary.total;
    if (total !== undefined) this.mesh.addWire(total.byStatusClass, total.latencyBuckets, fraction, true);
    let dropped = addAll(this.routes, summary.routes, fraction, true);
    dropped += addAll(this.clusters, summary.clusters, fraction, true);
    const from = service === '' ? NO_SERVICE : service;
    for (const c of summary.clusters) {
      const t = entry(this.edges, `${from}\u0000${c.name}`);
      if (t === undefined) dropped++;
      else t.addWire(c.byStatusClass, c.latencyBuckets, fraction, false);
    }
    return dropped;
  }

  merge(other: TrafficBucket): void {
    this.proxies += other.proxies;
    this.mesh.merge(other.mesh);
    mergeAll(this.routes, other.routes);
    mergeAll(this.clusters, other.clusters);
    mergeAll(this.edges, other.edges);
  }

  /** The record a replica publishes (traffic-publisher.ts). */
  encode(windowMs: number): string {
    const map = (m: Map<string, TrafficTally>): Record<string, number[]> => Object.fromEntries([...m].map(([k, t]) => [k, t.encode()]));
    return JSON.stringify({ windowMs, index: this.index, proxies: Math.round(this.proxies * 1000) / 1000, mesh: this.mesh.encode(), routes: map(this.routes), clusters: map(this.clusters), edges: map(this.edges) });
  }

  /** A record another replica published; throws when it is not one (written by a newer or broken replica). */
  static decode(text: string): { windowMs: number; bucket: TrafficBucket } {
    const r = JSON.parse(text) as Record<string, unknown>;
    if (typeof r['windowMs'] !== 'number' || !Number.isInteger(r['index']) || typeof r['proxies'] !== 'number') throw new Error('not a traffic record');
    const b = new TrafficBucket(r['index'] as number);
    b.proxies = r['proxies'];
    b.mesh.merge(TrafficTally.decode(r['mesh']));
    for (const [name, into] of [['routes', b.routes], ['clusters', b.clusters], ['edges', b.edges]] as const) {
      const m = r[name];
      if (typeof m !== 'object' || m === null) throw new Error(`no ${name}`);
      for (const [k, v] of Object.entries(m).slice(0, MAX_WINDOW_ENTRIES)) into.set(k, TrafficTally.decode(v));
    }
    return { windowMs: r['windowMs'], bucket: b };
  }
}

function entry(map: Map<string, TrafficTally>, name: string): TrafficTally | undefined {
  let t = map.get(name);
  if (t === undefined) {
    if (map.size >= MAX_WINDOW_ENTRIES) return undefined;
    map.set(name, (t = new TrafficTally()));
  }
  return t;
}

function addAll(map: Map<string, TrafficTally>, entries: readonly TrafficCounts[], fraction: number, withLatency: boolean): number {
  let dropped = 0;
  for (const c of entries) {
    const t = entry(map, c.name);
    if (t === undefined) dropped++;
    else t.addWire(c.byStatusClass, c.latencyBuckets, fraction, withLatency);
  }
  return dropped;
}

function mergeAll(into: Map<string, TrafficTally>, from: Map<string, TrafficTally>): void {
  for (const [name, t] of from) entry(into, name)?.merge(t);
}
