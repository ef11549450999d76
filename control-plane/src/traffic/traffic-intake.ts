// Where a proxy's traffic summary (DiscoveryRequest.traffic) enters this replica: checked, capped and
// counted into the windows. Bounded work per summary whatever the proxy sends: at most
// MAX_TRAFFIC_ENTRIES routes and as many clusters are read (the rest are left out, and the summary
// counted as truncated), a summary with other latency buckets or malformed counts is refused, and so is
// one arriving sooner than MIN_TRAFFIC_INTERVAL_MS after the previous on the same stream.
import type { TrafficCounts, TrafficSummary } from '../../../proto/gen/sluice/v1/discovery_pb.js';
import { LATENCY_BOUNDS_S, MAX_TRAFFIC_ENTRIES, MIN_TRAFFIC_INTERVAL_MS, STATUS_CLASSES } from '../../../proto/src/wire/traffic-limits.js';
import type { IntakeResult, TrafficMetrics } from './traffic-metrics.js';
import { LATENCY_SLOTS } from './traffic-tally.js';
import type { TrafficWindow } from './traffic-window.js';

/** Route and cluster names are resource names; anything longer is not one. */
const MAX_NAME_LENGTH = 256;
/** Timers fire a little early or late: a summary this share of the minimum interval early still counts. */
const EARLY_TOLERANCE = 0.8;

export class TrafficIntake {
  /** When each stream's last summary was counted (Date.now()). */
  private readonly lastAt = new Map<string, number>();

  constructor(private readonly window: TrafficWindow, private readonly metrics?: TrafficMetrics, private readonly now: () => number = Date.now) {}

  /** A summary arrived on `stream`, from a proxy beside `service`. */
  accept(stream: string, service: string, summary: TrafficSummary): IntakeResult {
    const now = this.now();
    const result = this.check(stream, summary, now);
    if (result === 'refused') {
      this.metrics?.summary('refused');
      return result;
    }
    this.lastAt.set(stream, now);
    const routes = summary.routes.length > MAX_TRAFFIC_ENTRIES ? summary.routes.slice(0, MAX_TRAFFIC_ENTRIES) : summary.routes;
    const clusters = summary.clusters.length > MAX_TRAFFIC_ENTRIES ? summary.clusters.slice(0, MAX_TRAFFIC_ENTRIES) : summary.clusters;
    const overflow = summary.routes.length - routes.length + summary.clusters.length - clusters.length;
    const duration = summary.intervalMs > 0 ? Math.min(summary.intervalMs, 3_600_000) : this.window.windowMs;
    const dropped = this.window.record({ total: summary.total, routes, clusters }, service, now, duration);
    if (overflow + dropped > 0) this.metrics?.dropped(overflow + dropped);
    this.metrics?.summary(result);
    return result;
  }

  /** The stream ended: forget its pace. */
  closed(stream: string): void {
    this.lastAt.delete(stream);
  }

  private check(stream: string, summary: TrafficSummary, now: number): IntakeResult {
    const last = this.lastAt.get(stream);
    if (last !== undefined && now - last < MIN_TRAFFIC_INTERVAL_MS * EARLY_TOLERANCE) return 'refused';
    const bounds = summary.latencyBoundsSeconds;
    if (bounds.length !== LATENCY_BOUNDS_S.length) return 'refused';
    for (let i = 0; i < bounds.length; i++) if (bounds[i] !== LATENCY_BOUNDS_S[i]) return 'refused';
    if (summary.total !== undefined && !wellFormed(summary.total)) return 'refused';
    const routes = Math.min(summary.routes.length, MAX_TRAFFIC_ENTRIES);
    for (let i = 0; i < routes; i++) if (!wellFormed(summary.routes[i]!)) return 'refused';
    const clusters = Math.min(summary.clusters.length, MAX_TRAFFIC_ENTRIES);
    for (let i = 0; i < clusters; i++) if (!wellFormed(summary.clusters[i]!)) return 'refused';
    return routes < summary.routes.length || clusters < summary.clusters.length ? 'truncated' : 'accepted';
  }
}

function wellFormed(c: TrafficCounts): boolean {
  return c.byStatusClass.length <= STATUS_CLASSES.length && c.latencyBuckets.length <= LATENCY_SLOTS && c.name.length <= MAX_NAME_LENGTH;
}
