// The one rule that turns several verdicts on an endpoint into one. Used twice, the same way
// on every replica: a replica's connected proxies' reports → that replica's entry in etcd, and every
// entry in etcd for the endpoint (one per replica, plus the leader's checker) → the effective health
// pushed to every proxy. Equal input gives equal output on every replica, in any order.
import { Health } from '../../../proto/gen/sluice/v1/endpoints_pb.js';

/**
 * Ties go to the verdict earliest here: fail open. Each proxy still avoids an endpoint its own checks
 * see failing, so a split vote should not take an endpoint away from the proxies that reach it.
 */
const TIE_ORDER: readonly Health[] = [Health.HEALTHY, Health.DRAINING, Health.UNHEALTHY];

/**
 * The verdict with the most votes; UNKNOWN votes abstain. Undefined when nobody has a verdict (the
 * endpoint keeps the health its Endpoints or Cluster resource gives it).
 */
export function decideHealth(votes: Iterable<Health>): Health | undefined {
  const counts = new Map<Health, number>();
  for (const v of votes) if (v !== Health.UNKNOWN) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: Health | undefined;
  let bestCount = 0;
  for (const h of TIE_ORDER) {
    const n = counts.get(h) ?? 0;
    if (n > bestCount) {
      best = h;
      bestCount = n;
    }
  }
  return best;
}
