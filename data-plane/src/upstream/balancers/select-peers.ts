// Which of a cluster's endpoints its balancer spreads requests over: failover by priority, panic
// when too few are left, and a preference for the proxy's own zone. Pure: called by the
// cluster state whenever an endpoint's availability changes, never per request.
import type { Peer } from '../peer.js';

/** Envoy's default panic threshold (cluster.panicThresholdPercent unset). */
export const DEFAULT_PANIC_THRESHOLD_PERCENT = 50;

/**
 * The peers to balance over, in this order of rules (docs/data-plane.md, "Endpoint
 * selection"):
 *
 * 1. Priority: peers are grouped by `priority` (0 first, lower preferred). The lowest level with at
 *    least one available peer is used on its own; higher levels take traffic only when every peer of
 *    the levels below is unavailable. Unlike Envoy there is no partial spill (overprovisioning factor
 *    1.4): a level serves all of the traffic or none of it.
 * 2. Panic: when that level's available peers are fewer than `panicThresholdPercent` of its peers,
 *    every peer of the level is used, available or not (outlier detection may be wrong about them, and
 *    a few survivors would take a load they cannot carry). When no level has an available peer, the
 *    lowest level is used in panic. `panicThresholdPercent` 0 turns panic off: only available peers,
 *    and none at all when none is.
 * 3. Zone: outside panic, when `localZone` is set and the level has available peers in it, only
 *    those are used; otherwise every available peer of the level. Envoy instead sends a share of
 *    the traffic across zones in proportion to zone sizes; we prefer locality outright and fail over
 *    to the other zones of the level once the local zone has no available peer left.
 */
export function selectPeers(peers: readonly Peer[], localZone: string, panicThresholdPercent: number): readonly Peer[] {
  if (peers.length === 0) return peers;
  let best = Infinity;
  let lowest = Infinity;
  for (const p of peers) {
    const priority = p.priority;
    if (priority < lowest) lowest = priority;
    if (p.available && priority < best) best = priority;
  }
  if (best === Infinity) {
    // Nothing available anywhere: panic at the preferred level, or nothing when panic is off.
    return panicThresholdPercent > 0 ? peers.filter((p) => p.priority === lowest) : [];
  }
  let total = 0;
  let available = 0;
  let local = 0;
  for (const p of peers) {
    if (p.priority !== best) continue;
    total++;
    if (!p.available) continue;
    available++;
    if (localZone !== '' && p.zone === localZone) local++;
  }
  if (panicThresholdPercent > 0 && available * 100 < total * panicThresholdPercent) return peers.filter((p) => p.priority === best);
  if (local > 0) return peers.filter((p) => p.priority === best && p.available && p.zone === localZone);
  return peers.filter((p) => p.priority === best && p.available);
}
