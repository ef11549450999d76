// "Has my change reached every proxy?": the fleet counted against one revision R. A proxy is at R
// when it ACKed R or later and rejects nothing of R or before; behind while it runs an older
// revision; rejecting when it NACKed a version of R or before and runs without it.
import type { ProxyStatus } from './proxy-status.js';

export interface RolloutStatus {
  readonly revision: number;
  readonly proxies: number;
  readonly at: number;
  readonly behind: number;
  readonly rejecting: number;
  /** The rejecting proxies with their first blocking error, up to the limit. */
  readonly errors: ReadonlyArray<{ readonly nodeId: string; readonly address: string; readonly replica: string; readonly revision: number; readonly error: string }>;
  /** The proxies behind, the furthest behind first, up to the limit. */
  readonly lagging: ReadonlyArray<{ readonly nodeId: string; readonly address: string; readonly replica: string; readonly ackedRevision: number }>;
  /** True when `errors` or `lagging` stopped at the limit: the counts are still whole. */
  readonly truncated: boolean;
}

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
