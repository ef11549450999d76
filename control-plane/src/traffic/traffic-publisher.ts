// Shares this replica's part of the mesh's traffic with the other replicas: once per window, one
// record of the window that just became complete (traffic-bucket.ts, at most MAX_WINDOW_ENTRIES names
// per map) under `/sluice/fleet/traffic/<replica>`, on a lease of its own. One write per window per
// replica whatever the fleet's size; the other replicas follow the key (traffic-view.ts) and merge it
// with their own proxies'. A replica that dies takes its record with it when its lease expires.
import type { Logger } from 'pino';
import { FLEET_STATUS_PREFIX } from '../store/keys.js';
import type { Lease, LeaseStore } from '../store/lease-store.js';
import { publishDelayMs, type TrafficService } from './traffic-service.js';

/** Under FLEET_STATUS_PREFIX: the resource watch skips it, so a write is no configuration revision. */
export const TRAFFIC_PREFIX = `${FLEET_STATUS_PREFIX}traffic/`;

export class TrafficPublisher {
  private readonly lease: Lease;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly traffic: TrafficService, leases: LeaseStore, private readonly replicaId: string, ttlSeconds: number, private readonly log?: Logger) {
    this.lease = leases.grant(ttlSeconds);
  }

  start(): void {
    this.schedule();
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.writing;
    await this.lease.revoke();
  }

  /** Publishes window `index` as this replica saw it (nothing when none of its proxies reported in it). */
  async publish(index: number): Promise<void> {
    const bucket = this.traffic.window.bucket(index);
    if (bucket === undefined || this.closed) return;
    try {
      await this.lease.put(`${TRAFFIC_PREFIX}${this.replicaId}`, bucket.encode(this.traffic.window.windowMs));
    } catch (err) {
      // The next window brings a new record; this one's is missing from the other replicas' series.
      this.log?.warn({ err, window: index }, 'cannot publish this replica\'s traffic');
    }
  }

  /** Wakes up publishDelayMs after each window's end: its proxies' summaries covering it are in by then. */
  private schedule(): void {
    if (this.closed) return;
    const w = this.traffic.window.windowMs;
    const now = Date.now();
    const complete = this.traffic.window.indexAt(now - publishDelayMs(w)) - 1;
    const next = (complete + 2) * w + publishDelayMs(w);
    this.timer = setTimeout(() => {
      this.writing = this.publish(complete + 1).finally(() => (this.writing = undefined));
      this.schedule();
    }, Math.max(0, next - now));
    this.timer.unref();
  }
}
