// Sends the control plane one traffic summary per interval (sluice proxy --traffic-interval-ms): what
// every worker served since the previous one (traffic-summary.ts). One small message per interval
// whatever the request rate. While no stream is open nothing is taken, so the summary sent after a
// reconnect covers the whole gap (its interval_ms says how long).
import type { SeriesTraffic } from '../metrics/traffic-deltas.js';
import { trafficSummary, type TrafficSummaryInit } from '../metrics/traffic-summary.js';

export interface TrafficReporterOptions {
  readonly intervalMs: number;
  /** Whether a stream is open now: a summary is taken only then. */
  readonly connected: () => boolean;
  /** Every process's deltas since the previous call (ProxyMetrics.takeTraffic, WorkerPool.traffic). */
  readonly take: () => Promise<SeriesTraffic[][]>;
  /** Writes the summary on the stream; false when it could not (the stream closed meanwhile). */
  readonly send: (summary: TrafficSummaryInit) => boolean;
}

export class TrafficReporter {
  private readonly timer: NodeJS.Timeout;
  private lastTakenAt = performance.now();
  private busy = false;

  constructor(private readonly options: TrafficReporterOptions) {
    this.timer = setInterval(() => void this.report(), options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Takes and sends one summary now (the timer calls it every interval); false when none was sent. */
  async report(): Promise<boolean> {
    if (this.busy || !this.options.connected()) return false;
    this.busy = true;
    try {
      const parts = await this.options.take();
      const now = performance.now();
      const summary = trafficSummary(parts, now - this.lastTakenAt);
      this.lastTakenAt = now;
      // Lost if the stream closed between the check and now: one interval missing, not double counted.
      return this.options.send(summary);
    } catch {
      return false; // a worker exited mid-question: the next interval asks again
    } finally {
      this.busy = false;
    }
  }
}
