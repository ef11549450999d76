// This replica's part of the fleet, for the buckets of `scope: mesh` rate limits: (proxies connected
// here) / (every proxy of the fleet, fleet-status.ts). Each replica refills its buckets at rate × share
// and holds burst × share, so over all replicas a limit's rate and burst are what was configured.
// Counting the fleet walks every replica's records: it is done at most once per RECOMPUTE_MS.
import { performance } from 'node:perf_hooks';

const RECOMPUTE_MS = 1000;

export class FleetShare {
  private value = 1;
  private atMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly connectedHere: () => number, private readonly fleetSize: () => number) {}

  /** In (0, 1]; 1 with one replica. */
  current(nowMs = performance.now()): number {
    if (nowMs - this.atMs >= RECOMPUTE_MS) {
      this.atMs = nowMs;
      // A proxy borrows on its discovery connection, so it counts here; a caller counted nowhere yet
      // (the fleet's records lag its connection) still gets a share of one proxy.
      const here = Math.max(1, this.connectedHere());
      this.value = Math.min(1, here / Math.max(here, this.fleetSize()));
    }
    return this.value;
  }
}
