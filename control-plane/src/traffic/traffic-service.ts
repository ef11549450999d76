// The mesh's traffic as this replica answers for it: its own proxies' summaries (traffic-intake.ts,
// traffic-window.ts) merged with what the other replicas published (traffic-view.ts). GET /v1/traffic
// and the dashboard's live feed both read it here: `report()` is the body of GET /v1/traffic,
// `mesh()` its `mesh` object.
import type { Registry } from 'prom-client';
import { DEFAULT_TRAFFIC_INTERVAL_MS } from '../../../proto/src/wire/traffic-limits.js';
import { TrafficBucket } from './traffic-bucket.js';
import { TrafficIntake } from './traffic-intake.js';
import { TrafficMetrics } from './traffic-metrics.js';
import { trafficReport, type TrafficFigures, type TrafficReport } from './traffic-report.js';
import { SERIES_SPAN_MS, TrafficWindow } from './traffic-window.js';

/** What the other replicas published for a window (traffic-view.ts). */
export interface RemoteTraffic {
  buckets(index: number): readonly TrafficBucket[];
  /** Changes whenever a record arrives: a cached report is stale. */
  readonly version: number;
}

export interface TrafficServiceOptions {
  /** The window length: rates are over it, and the series has one point per window (default 5 s, as proxies send). */
  readonly windowMs?: number;
  readonly now?: () => number;
}

/**
 * How long after a window's end it is shown: one proxy interval for the summaries covering its end to
 * arrive, then time for the other replicas to publish their part (traffic-publisher.ts).
 */
export function reportDelayMs(windowMs: number): number {
  return windowMs + 2500;
}

/** When a replica publishes a window: before readers show it (reportDelayMs). */
export function publishDelayMs(windowMs: number): number {
  return windowMs + 1000;
}

export class TrafficService {
  readonly window: TrafficWindow;
  readonly intake: TrafficIntake;
  private remote: RemoteTraffic | undefined;
  private readonly now: () => number;
  private cached: { index: number; version: number; report: TrafficReport } | undefined;

  constructor(registry: Registry | undefined, options: TrafficServiceOptions = {}) {
    this.window = new TrafficWindow(options.windowMs ?? DEFAULT_TRAFFIC_INTERVAL_MS);
    this.now = options.now ?? Date.now;
    this.intake = new TrafficIntake(this.window, registry === undefined ? undefined : new TrafficMetrics(registry), this.now);
  }

  /** The other replicas' windows (traffic-view.ts); without it the report covers this replica's proxies only. */
  followRemote(remote: RemoteTraffic): void {
    this.remote = remote;
  }

  /** The number of the last window complete enough to show. */
  latestIndex(): number {
    return this.window.indexAt(this.now() - reportDelayMs(this.window.windowMs)) - 1;
  }

  /** GET /v1/traffic's body; computed once per window (and again when another replica's part arrives). */
  report(): TrafficReport {
    const index = this.latestIndex();
    const version = this.remote?.version ?? 0;
    if (this.cached?.index === index && this.cached.version === version) return this.cached.report;
    const points = Math.ceil(SERIES_SPAN_MS / this.window.windowMs);
    const series = [];
    for (let i = index - points + 1; i <= index; i++) series.push({ index: i, bucket: this.merged(i, i === index) });
    const report = trafficReport(this.window.windowMs, series[series.length - 1]?.bucket, series);
    this.cached = { index, version, report };
    return report;
  }

  /** The `mesh` object of GET /v1/traffic: what the dashboard's overview shows. */
  mesh(): TrafficFigures {
    return this.report().mesh;
  }

  /**
   * Window `index` of every replica. The series needs only the mesh tallies, so older windows merge
   * those alone (`whole` false); the latest merges routes, clusters and edges too.
   */
  private merged(index: number, whole: boolean): TrafficBucket | undefined {
    const parts = [this.window.bucket(index), ...(this.remote?.buckets(index) ?? [])].filter((b) => b !== undefined);
    if (parts.length === 0) return undefined;
    const into = new TrafficBucket(index);
    for (const p of parts) {
      if (whole) into.merge(p);
      else {
        into.mesh.merge(p.mesh);
        into.proxies += p.proxies;
      }
    }
    return into;
  }
}
