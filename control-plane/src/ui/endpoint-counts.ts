// The overview's endpoint figures, from the snapshot proxies receive: every cluster's endpoints (its
// Endpoints resource merged with its inline list, health verdicts and registrations laid over them, as
// the snapshot builder does) and how many of them the effective health marks UNHEALTHY.
import { Health } from '../../../proto/gen/sluice/v1/endpoints_pb.js';
import { mergeEndpoints } from '../../../proto/src/model/merge-endpoints.js';
import type { Snapshot } from '../snapshot/snapshot.js';

export interface EndpointCounts {
  readonly total: number;
  readonly unhealthy: number;
  /**
   * Endpoints proxies took out of rotation by outlier detection. Proxies do not report ejections to
   * the control plane (only their active checks' verdicts), so this is what `ejected()` says, 0 when
   * nothing provides it.
   */
  readonly ejected: number;
}

/** Counts `snapshot`'s endpoints; recounted only when the snapshot changes (its serial). */
export class EndpointCounter {
  private counted: { readonly serial: number; readonly total: number; readonly unhealthy: number } | undefined;

  constructor(private readonly ejected: () => number = () => 0) {}

  counts(snapshot: Snapshot | undefined): EndpointCounts {
    if (snapshot === undefined) return { total: 0, unhealthy: 0, ejected: this.ejected() };
    if (this.counted?.serial !== snapshot.serial) {
      let total = 0;
      let unhealthy = 0;
      for (const cluster of snapshot.list('Cluster')) {
        const endpoints = mergeEndpoints(snapshot.get('Endpoints', cluster.name)?.endpoints ?? [], cluster.endpoints);
        total += endpoints.length;
        for (const e of endpoints) if (e.health === Health.UNHEALTHY) unhealthy++;
      }
      this.counted = { serial: snapshot.serial, total, unhealthy };
    }
    return { total: this.counted.total, unhealthy: this.counted.unhealthy, ejected: this.ejected() };
  }
}
