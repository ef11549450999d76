// The request counters of one (route, cluster) pair. The proxy creates one per pair the first time a
// route object is used and keeps it for the pair's life, so a request costs field increments only.
import { LatencyHistogram } from './latency-histogram.js';
import type { TimeoutKind } from '../timeout-kinds.js';

/** Index by status / 100: 0 = no status sent (the client went away), 1..5 = 1xx..5xx. */
export { STATUS_CLASSES } from '../../../proto/src/wire/traffic-limits.js';

export class RequestSeries {
  readonly byClass = [0, 0, 0, 0, 0, 0];
  retries = 0;
  /** Requests that ended in a timeout, by whose (timeout-kinds.ts). */
  readonly timeouts: Record<TimeoutKind, number> = { connect: 0, upstream: 0, client: 0 };
  /** From the request head's arrival to the end of the response. */
  readonly downstream = new LatencyHistogram();
  /** From picking the endpoint of the try that answered to its response head. */
  readonly upstream = new LatencyHistogram();

  constructor(readonly route: string, readonly cluster: string) {}
}

/** The series of one route, by cluster (one for `forward`, several for weighted clusters). */
export class RouteSeries {
  private readonly byCluster = new Map<string, RequestSeries>();

  constructor(readonly route: string, private readonly lookup: (route: string, cluster: string) => RequestSeries) {}

  forCluster(cluster: string): RequestSeries {
    let s = this.byCluster.get(cluster);
    if (s === undefined) this.byCluster.set(cluster, (s = this.lookup(this.route, cluster)));
    return s;
  }
}
