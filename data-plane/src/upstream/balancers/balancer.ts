// How a cluster spreads requests over its peers. Every balancer takes the peers that may take
// traffic, fixed for the life of a snapshot (health changes arrive as a new snapshot).
import type { Session } from '../../proxy/session.js';
import type { Peer } from '../peer.js';

export interface Balancer {
  /**
   * The peer for this try, avoiding those in `exclude` (peers already tried) when another exists.
   * undefined only when the balancer has no peer at all.
   */
  pick(session: Session, exclude: readonly Peer[]): Peer | undefined;
}

/** How many random draws a balancer spends looking for a peer not yet tried before giving up. */
export const EXCLUDE_DRAWS = 4;
