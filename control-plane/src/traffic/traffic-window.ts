// This replica's recent traffic: a ring of fixed windows (TrafficBucket), long enough for the five
// minutes of series GET /v1/traffic shows plus the windows still filling. A summary covers the
// interval_ms before its arrival; its counts are spread over the windows that interval overlaps, in
// proportion, so a proxy's summaries need not line up with the windows (nor arrive exactly once per
// window) for each window's rate to be right.
import type { TrafficSummary } from '../../../proto/gen/sluice/v1/discovery_pb.js';
import { TrafficBucket } from './traffic-bucket.js';

/** The span GET /v1/traffic's series covers. */
export const SERIES_SPAN_MS = 5 * 60_000;
/** A summary's interval beyond this many windows is too old to show: only its latest part is counted. */
const MAX_SPREAD_WINDOWS = 12;

export class TrafficWindow {
  private readonly ring: (TrafficBucket | undefined)[];

  constructor(readonly windowMs: number) {
    // The series' windows, those still filling, and one being published.
    this.ring = new Array<TrafficBucket | undefined>(Math.ceil(SERIES_SPAN_MS / windowMs) + 4);
  }

  /** The number of the window holding `ms`. */
  indexAt(ms: number): number {
    return Math.floor(ms / this.windowMs);
  }

  /** Window `index` as far as it is known here, or undefined when nothing reported in it (or it is gone). */
  bucket(index: number): TrafficBucket | undefined {
    const b = this.ring[index % this.ring.length];
    return b?.index === index ? b : undefined;
  }

  /**
   * Counts `summary` (its part of each window between `endMs - durationMs` and `endMs`); returns how
   * many route, cluster or edge names did not fit a window (traffic-bucket.ts).
   */
  record(summary: Pick<TrafficSummary, 'total' | 'routes' | 'clusters'>, service: string, endMs: number, durationMs: number): number {
    const w = this.windowMs;
    const startMs = endMs - durationMs;
    const last = this.indexAt(endMs - 1);
    const first = Math.max(this.indexAt(startMs), last - MAX_SPREAD_WINDOWS + 1);
    let dropped = 0;
    for (let i = first; i <= last; i++) {
      const overlap = Math.min(endMs, (i + 1) * w) - Math.max(startMs, i * w);
      if (overlap <= 0) continue;
      dropped += this.slot(i)?.add(summary, service, overlap / durationMs, overlap / w) ?? 0;
    }
    return dropped;
  }

  /** Window `index`, made when new; undefined when a newer window took its place in the ring already. */
  private slot(index: number): TrafficBucket | undefined {
    const at = index % this.ring.length;
    const b = this.ring[at];
    if (b?.index === index) return b;
    if (b !== undefined && b.index > index) return undefined;
    const fresh = new TrafficBucket(index);
    this.ring[at] = fresh;
    return fresh;
  }
}
