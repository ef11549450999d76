// How a cluster spreads requests over its peers. Every balancer takes the peers that may take
// traffic, fixed until its cluster state rebuilds it (a new snapshot, an active check's verdict, an
// ejection: ClusterState.refresh).
import type { HashSubject } from './hash-key.js';
import type { Peer } from '../peer.js';

export interface Balancer {
  /**
   * The peer for this try, never one in `exclude` (the peers this request already tried) while one
   * of the balancer's peers is not in it: Envoy's previous_hosts retry predicate, for every try of
   * every retry path. undefined only when the balancer has no peer at all.
   */
  pick(session: HashSubject, exclude: readonly Peer[]): Peer | undefined;
}

/** How many random draws a balancer spends looking for a peer not yet tried before it lists them. */
export const EXCLUDE_DRAWS = 4;

/**
 * The tried peers a pick must avoid among `peers`: `exclude` while some of `peers` is not in it,
 * undefined when there is nothing to avoid or nothing else left (then any peer may be tried again).
 * Only the balancer's own peers count: `exclude` may hold peers the balancer no longer has (the
 * balancer was rebuilt mid-request, after an ejection or a verdict), so its length says nothing.
 */
export function avoidable(peers: readonly Peer[], exclude: readonly Peer[]): readonly Peer[] | undefined {
  if (exclude.length === 0) return undefined;
  for (const p of peers) if (!exclude.includes(p)) return exclude;
  return undefined;
}
