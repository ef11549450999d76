// What this replica did with the traffic summaries proxies sent: counted, truncated (more routes or
// clusters than a summary may carry, or more names than a window holds), refused.
import { Counter, type Registry } from 'prom-client';

/** What became of one summary (traffic-intake.ts). */
export type IntakeResult = 'accepted' | 'truncated' | 'refused';

export class TrafficMetrics {
  private readonly summaries: Counter<'result'>;
  private readonly entries: Counter;

  constructor(registry: Registry) {
    this.summaries = new Counter({
      name: 'sluice_traffic_summaries_total',
      help: 'Traffic summaries received from proxies, by result: accepted, truncated (routes or clusters beyond 200 left out), refused (malformed, other latency buckets, or sooner than 1 s after the previous on the stream).',
      labelNames: ['result'],
      registers: [registry],
    });
    this.entries = new Counter({
      name: 'sluice_traffic_entries_dropped_total',
      help: 'Route, cluster and edge entries of traffic summaries left out: beyond 200 in one summary, or beyond 1000 names in one window.',
      registers: [registry],
    });
    for (const r of ['accepted', 'truncated', 'refused'] as const) this.summaries.inc({ result: r }, 0);
  }

  summary(result: IntakeResult): void {
    this.summaries.inc({ result });
  }

  dropped(n: number): void {
    this.entries.inc(n);
  }
}
