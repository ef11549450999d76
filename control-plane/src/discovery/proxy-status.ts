// One proxy's record in the fleet's status: what GET /v1/proxies lists and GET /v1/rollout counts.
// The replica a proxy is connected to makes it from the stream (statusOf) and publishes it in the
// store (fleet-status-publisher.ts), so every replica answers for the whole fleet.
import type { StreamState } from './stream-state.js';
import type { ProxyStatus, SyncState } from '../../../proto/src/fleet/fleet-status-answers.js';
export type { ProxyStatus, SyncState } from '../../../proto/src/fleet/fleet-status-answers.js';

export const SYNC_STATES: readonly SyncState[] = ['SYNCED', 'STALE', 'NACK'];

export function syncStateOf(p: ProxyStatus, revision: number): SyncState {
  if (p.rejected.length > 0) return 'NACK';
  return p.ackedRevision >= revision ? 'SYNCED' : 'STALE';
}

/**
 * The order proxies are listed and paged in: node id, then replica, connection time and address. A
 * string, so that a page's `continue` token is the last key and the next page starts after it.
 */
export function proxySortKey(p: ProxyStatus): string {
  return `${p.nodeId}\u0000${p.replica}\u0000${p.connectedSince}\u0000${p.address}`;
}

export function statusOf(s: StreamState, replica: string): ProxyStatus {
  const rejected = s
    .rejections()
    .sort((a, b) => a.revision - b.revision)
    .map((r) => ({ kind: r.kind, name: r.name, revision: r.revision, error: r.message }));
  return {
    nodeId: s.node.id,
    service: s.node.service,
    zone: s.node.zone,
    namespace: s.node.namespace,
    version: s.node.version,
    address: s.peer,
    adminAddress: s.node.adminAddress,
    replica,
    connectedSince: s.connectedAt.toISOString(),
    ackedRevision: s.syncedRevision,
    ...(s.lastAckAt === undefined ? {} : { lastAckAt: s.lastAckAt.toISOString() }),
    types: Object.fromEntries(s.ackedTypes),
    rejected,
    ...(s.lastError === undefined ? {} : { lastError: { revision: s.lastError.revision, error: s.lastError.message, at: s.lastError.at.toISOString() } }),
  };
}

/**
 * What a proxy's published card holds beyond its ACKed revision (which the replica publishes for all
 * its proxies at once, fleet-status-publisher.ts): the card is rewritten when this changes. A number,
 * compared on every tick for every stream: no string is built for it.
 */
export function cardFingerprint(s: StreamState): number {
  return s.rejectionCount * 2 ** 42 + (s.lastError?.at.getTime() ?? 0);
}
