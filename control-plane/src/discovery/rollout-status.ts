// "Has my change reached every proxy?": the fleet counted against one revision R. A proxy is at R
// when it ACKed R or later and rejects nothing of R or before; behind while it runs an older
// revision; rejecting when it NACKed a version of R or before and runs without it.
import type { ProxyStatus } from './proxy-status.js';
import type { RolloutStatus } from '../../../proto/src/fleet/fleet-status-answers.js';
export type { RolloutStatus } from '../../../proto/src/fleet/fleet-status-answers.js';

export function rolloutOf(proxies: readonly ProxyStatus[], revision: number, limit: number): RolloutStatus {
  let at = 0;
  const errors: Array<RolloutStatus['errors'][number]> = [];
  const lagging: Array<RolloutStatus['lagging'][number]> = [];
  for (const p of proxies) {
    const blocking = p.rejected.filter((r) => r.revision <= revision);
    if (blocking.length > 0) {
      const first = blocking.reduce((a, b) => (b.revision < a.revision ? b : a));
      errors.push({ nodeId: p.nodeId, address: p.address, replica: p.replica, revision: first.revision, error: first.error });
    } else if (p.ackedRevision >= revision) at++;
    else lagging.push({ nodeId: p.nodeId, address: p.address, replica: p.replica, ackedRevision: p.ackedRevision });
  }
  lagging.sort((a, b) => a.ackedRevision - b.ackedRevision);
  return {
    revision,
    proxies: proxies.length,
    at,
    behind: lagging.length,
    rejecting: errors.length,
    errors: errors.slice(0, limit),
    lagging: lagging.slice(0, limit),
    truncated: errors.length > limit || lagging.length > limit,
  };
}
