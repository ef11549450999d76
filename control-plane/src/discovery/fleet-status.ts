// The whole fleet as one list: this replica's proxies, live from its registry, and every other
// replica's as they published them (fleet-view.ts). A proxy that moved to another replica may still be
// listed by the one it left until that one's next write (or, if it died, its lease's end): the record
// of its newest connection wins, so each proxy is counted once.
import type { FleetView } from './fleet-view.js';
import type { ProxyRegistry } from './proxy-registry.js';
import { proxySortKey, statusOf, type ProxyStatus } from './proxy-status.js';

export class FleetStatus {
  constructor(private readonly registry: ProxyRegistry, private readonly replicaId: string, private readonly view?: FleetView) {}

  /** Every proxy of the fleet, in proxySortKey's order. */
  proxies(): ProxyStatus[] {
    const local = [...this.registry.streams()].map((s) => statusOf(s, this.replicaId));
    const all = this.view === undefined ? local : newestReplicaOnly([...local, ...this.view.records()]);
    const keyed = all.map((p) => [proxySortKey(p), p] as const);
    keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return keyed.map(([, p]) => p);
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
