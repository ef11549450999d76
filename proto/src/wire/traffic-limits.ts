// What a traffic summary (DiscoveryRequest.traffic) holds and may hold: shared by the proxies that
// send one per interval and the control plane that merges them, so both count the same buckets.

/**
 * Upper bounds of the latency buckets, in seconds: the proxy's Prometheus histograms use these
 * (data-plane/src/metrics/latency-histogram.ts), and a summary's buckets are their deltas. From 0.5 ms
 * (a hop on the same host) to 60 s: routes have no timeout unless they set timeoutMs, and timeouts of
 * tens of seconds are common, so slow requests keep a bound of their own instead of all landing in
 * +Inf. Envoy's default bounds up to a minute, with 2.5 ms added.
 */
export const LATENCY_BOUNDS_S: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Requests by status class, index status / 100: 0 = none (no response sent), 1..5 = 1xx..5xx. */
export const STATUS_CLASSES: readonly string[] = ['none', '1xx', '2xx', '3xx', '4xx', '5xx'];

/** Routes (and, apart, clusters) one summary carries at most: the busiest; the rest count in its total only. */
export const MAX_TRAFFIC_ENTRIES = 200;

/** A proxy sends at most one summary per this long; the control plane refuses those that come sooner. */
export const MIN_TRAFFIC_INTERVAL_MS = 1000;

/** `sluice proxy --traffic-interval-ms` default. */
export const DEFAULT_TRAFFIC_INTERVAL_MS = 5000;
