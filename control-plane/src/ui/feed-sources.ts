// What the dashboard's live feed reads, each a function so the feed holds no part of the control plane
// itself and a test can count or fake each one.
import type { ProxyStatus } from '../discovery/proxy-status.js';
import type { EndpointCounts } from './endpoint-counts.js';

/**
 * The body of GET /v1/traffic: the feed passes it on whole (as JSON) and takes its `mesh` for the
 * overview. No index signature, so the traffic report's own interface fits as it is.
 */
export interface TrafficBody {
  readonly mesh: unknown;
}

export interface FeedSources {
  /** The store revision this replica has seen (the configuration's version). */
  revision(): number;
  /** Every proxy of the fleet, as GET /v1/proxies lists them (in its order); empty without discovery. */
  proxies(): readonly ProxyStatus[];
  endpoints(): EndpointCounts;
  /** The fleet's traffic (GET /v1/traffic's body), or null while nothing provides it. */
  traffic(): TrafficBody | null;
}
