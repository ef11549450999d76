// How late this process's event loop runs, for /metrics: every request a worker serves waits for its
// loop, so a loop busy in a long callback or a GC pause is latency added to whatever arrives meanwhile.
// Node samples the delay in native code (monitorEventLoopDelay: one libuv timer, no JavaScript per
// sample); the values shown are those of the last whole window, so every scrape of one window agrees
// and a scraper sees the recent past rather than everything since the start.
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Length of the window a scrape reports. */
export const EVENT_LOOP_WINDOW_MS = 10_000;
/** How often the loop's delay is sampled: 100 wake-ups a second, nothing measurable on an idle sidecar. */
const RESOLUTION_MS = 10;

/** Delay percentiles over one window, in seconds. */
export interface EventLoopDelaySnapshot {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export class EventLoopDelay {
  private readonly histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private readonly timer: NodeJS.Timeout;
  private last: EventLoopDelaySnapshot | undefined;
  private stopped = false;

  constructor(windowMs = EVENT_LOOP_WINDOW_MS) {
    this.histogram.enable();
    this.timer = setInterval(() => {
      this.last = this.current();
      this.histogram.reset();
    }, windowMs);
    this.timer.unref();
  }

  /** The last whole window, or the one under way before the first ends; undefined once stopped. */
  snapshot(): EventLoopDelaySnapshot | undefined {
    if (this.stopped) return undefined;
    return this.last ?? this.current();
  }

  /** Stops sampling: a retired worker's last values must not stand for the proxy's loop. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.histogram.disable();
  }

  private current(): EventLoopDelaySnapshot | undefined {
    const h = this.histogram;
    if (h.count === 0) return undefined;
    // Node records the whole interval between two samples: the delay is what exceeds the resolution.
    const late = (ns: number): number => Math.max(0, ns / 1e9 - RESOLUTION_MS / 1000);
    return { p50: late(h.percentile(50)), p99: late(h.percentile(99)), max: late(h.max) };
  }
}
