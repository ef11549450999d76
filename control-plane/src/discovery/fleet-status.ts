// The whole fleet as one list: this replica's proxies, live from its registry, and every other
// replica's as they published them (fleet-view.ts). A proxy that moved to another replica may still be
// listed by the one it left until that one's next write (or, if it died, its lease's end): the record
// of its newest connection wins, so each proxy is counted once.
import type { FleetView } from './fleet-view.js';
import type { ProxyRegistry } from './proxy-registry.js';
import { statusOf, type ProxyStatus } from './proxy-status.js';

export class FleetStatus {
  constructor(private readonly registry: ProxyRegistry, private readonly replicaId: string, private readonly view?: FleetView) {}

  /** Every proxy of the fleet, sorted by node id (then replica and connection time). */
  proxies(): ProxyStatus[] {
    const local = [...this.registry.streams()].map((s) => statusOf(s, this.replicaId));
    const all = this.view === undefined ? local : newestReplicaOnly([...local, ...this.view.records()]);
    return all.sort(byNode);
  }
}

/** Keeps, per node id, only the records of the replica holding its newest connection. */
function newestReplicaOnly(records: readonly ProxyStatus[]): ProxyStatus[] {
  const newest = new Map<string, ProxyStatus>();
  for (const r of records) {
    const n = newest.get(r.nodeId);
    if (n === undefined || r.connectedSince > n.connectedSince) newest.set(r.nodeId, r);
  }
  return records.filter((r) => r.replica === newest.get(r.nodeId)!.replica);
}

function byNode(a: ProxyStatus, b: ProxyStatus): number {
  return cmp(a.nodeId, b.nodeId) || cmp(a.replica, b.replica) || cmp(a.connectedSince, b.connectedSince) || cmp(a.address, b.address);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
